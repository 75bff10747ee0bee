package authz

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/casbin/casbin/v2/persist"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Channel is the PostgreSQL NOTIFY channel of policy changes.
const Channel = "speks_casbin_policy"

// Watcher tells every replica that the policies changed, over PostgreSQL LISTEN/NOTIFY: the
// policies live in that database already, so replicas need nothing more to agree, and a
// notification is delivered only once the transaction that changed the rules commits.
// Every replica reloads on a notification from another replica, and after a reconnection
// (notifications sent while the connection was down are lost, so it reloads to be safe).
type Watcher struct {
	db       *sqlx.DB
	id       string // this replica's id, the payload of its own notifications
	listener *pq.Listener
	log      *slog.Logger

	mu       sync.Mutex
	callback func(string)
	done     chan struct{}
	closed   sync.Once
}

var _ persist.Watcher = (*Watcher)(nil)

// NewWatcher listens on Channel with a connection of its own to dsn; db sends notifications.
func NewWatcher(dsn string, db *sqlx.DB, log *slog.Logger) (*Watcher, error) {
	id, err := randomID()
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	w := &Watcher{db: db, id: id, log: log, done: make(chan struct{})}
	w.listener = pq.NewListener(dsn, time.Second, 30*time.Second, w.event)
	if err := w.listener.Listen(Channel); err != nil {
		_ = w.listener.Close()
		return nil, fmt.Errorf("authz: listen on %s: %w", Channel, err)
	}
	go w.run()
	return w, nil
}

func randomID() (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("authz: watcher id: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// event logs the listener's connection problems; run reloads after a reconnection.
func (w *Watcher) event(ev pq.ListenerEventType, err error) {
	if err != nil {
		w.log.Warn("authz: policy listener", "event", ev, "err", err)
	}
}

func (w *Watcher) run() {
	for {
		select {
		case <-w.done:
			return
		case n, ok := <-w.listener.Notify:
			if !ok {
				return
			}
			// nil means the connection was re-established: changes may have been missed.
			if n != nil && n.Extra == w.id {
				continue // our own change: the enforcer that made it is already current
			}
			w.notify()
		case <-time.After(90 * time.Second):
			// Ping keeps a dead connection from going unnoticed behind a quiet channel.
			if err := w.listener.Ping(); err != nil {
				w.log.Warn("authz: policy listener ping", "err", err)
			}
		}
	}
}

func (w *Watcher) notify() {
	w.mu.Lock()
	cb := w.callback
	w.mu.Unlock()
	if cb != nil {
		cb(w.id)
	}
}

// SetUpdateCallback sets what to do when another replica changed the policies.
func (w *Watcher) SetUpdateCallback(cb func(string)) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.callback = cb
	return nil
}

// Update tells the other replicas that the policies changed.
func (w *Watcher) Update() error {
	return Notify(context.Background(), w.db, w.id)
}

// Close stops listening.
func (w *Watcher) Close() {
	w.closed.Do(func() {
		close(w.done)
		_ = w.listener.Close()
	})
}

// Notify tells every replica's watcher to reload; origin is the sender's id ("" when the
// change was made outside any enforcer, e.g. by the seeding of a new tenant). Inside a
// transaction, the notification is delivered when it commits.
func Notify(ctx context.Context, db sqlx.ExecerContext, origin string) error {
	if _, err := db.ExecContext(ctx, `SELECT pg_notify($1, $2)`, Channel, origin); err != nil {
		return fmt.Errorf("authz: notify policy change: %w", err)
	}
	return nil
}
