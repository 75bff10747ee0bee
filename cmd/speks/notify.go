package main

import (
	"context"
	"fmt"

	"github.com/hibiken/asynq"

	"github.com/speks-portal/speks/modules/foundation/notify"
	"github.com/speks-portal/speks/modules/foundation/web"
)

// Mail wiring (modules/foundation/notify): the sender the worker registers, the relay every worker runs,
// and the dev mail sink page the server mounts.

// mailTransport is SMTP (smtp.url), the dev sink (dev mode, empty smtp.url), or both in dev
// mode with smtp.url set, so /dev/mail shows every mail a developer's worker sent.
func (rt *runtime) mailTransport() (notify.Transport, error) {
	var sink *notify.DevSink
	if rt.cfg.IsDev() {
		sink = notify.NewDevSink(rt.dbs.Public())
	}
	return notify.NewTransport(rt.cfg.SMTP.URL, sink)
}

// mailSender is the handler of notify.TaskSend. The configuration was validated at start-up
// and startMailRelay refuses to start the worker with a transport that cannot be built, so the
// error branch only keeps a broken setup visible in every task's error instead of dropping mail.
func (rt *runtime) mailSender() asynq.Handler {
	transport, err := rt.mailTransport()
	if err != nil {
		return asynq.HandlerFunc(func(context.Context, *asynq.Task) error { return err })
	}
	return &notify.Sender{Transport: transport, From: rt.cfg.Mail.From, Log: rt.log}
}

// startMailRelay runs the outbox relay of this worker process until ctx ends; the returned
// channel closes when it has stopped.
func (rt *runtime) startMailRelay(ctx context.Context) (<-chan struct{}, error) {
	if _, err := rt.mailTransport(); err != nil {
		return nil, fmt.Errorf("mail: %w", err)
	}
	redisOpt, err := rt.redisOpt()
	if err != nil {
		return nil, err
	}
	client := asynq.NewClient(redisOpt)
	relay := &notify.Relay{
		Tenants:   rt.registry,
		Databases: rt.dbs,
		Client:    client,
		Log:       rt.log,
		ListenURL: rt.dbs.DirectURL(),
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer client.Close()
		relay.Run(ctx)
	}()
	return done, nil
}

// devMailModule serves GET /dev/mail on the platform host in dev mode (404 otherwise).
func (rt *runtime) devMailModule() web.Module {
	return &notify.DevMail{Sink: notify.NewDevSink(rt.dbs.Public()), Enabled: rt.cfg.IsDev()}
}
