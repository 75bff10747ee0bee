package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"

	"github.com/speks-portal/speks/config"
	"github.com/speks-portal/speks/migrations"
	"github.com/speks-portal/speks/modules/account"
	"github.com/speks-portal/speks/modules/platform"
	"github.com/speks-portal/speks/tenant"
)

// runtime is what every subcommand shares: configuration, logging, the database handles and
// the tenant machinery, built once from the same configuration.
type runtime struct {
	cfg         *config.Config
	log         *slog.Logger
	dbs         *tenant.Databases
	registry    *tenant.Registry
	resolver    *tenant.Resolver
	scoper      *tenant.Scoper
	provisioner *tenant.Provisioner

	// The services, each built once on first use (accountService, platformService) and shared
	// by every module, step and command that needs it, so all of them hold the same secrets.
	accounts *account.Service
	platform *platform.Service
}

// loadConfig reads and validates the configuration, printing one line per problem.
func loadConfig(cmd *cobra.Command) (*config.Config, error) {
	cfg, err := config.Load(cmd.Flags())
	if err != nil {
		return nil, err
	}
	validate := cfg.Validate
	if cmd.Name() == "serve" {
		validate = cfg.ValidateServe
	}
	if err := validate(); err != nil {
		fmt.Fprintln(cmd.ErrOrStderr(), "speks: the configuration has problems:")
		for _, line := range strings.Split(err.Error(), "\n") {
			fmt.Fprintln(cmd.ErrOrStderr(), "  -", line)
		}
		return nil, &exitError{code: 2}
	}
	return cfg, nil
}

// newRuntime loads the configuration and connects to PostgreSQL, failing with a clear
// message (and no secrets) when the database cannot be reached.
func newRuntime(cmd *cobra.Command) (*runtime, error) {
	cfg, err := loadConfig(cmd)
	if err != nil {
		return nil, err
	}
	log := newLogger(cfg)
	slog.SetDefault(log)
	ctx, cancel := context.WithTimeout(cmd.Context(), 10*time.Second)
	defer cancel()
	// Locally, the first migrate creates the database; in production it is provisioned (and
	// the maintenance database may not even be reachable through a pooler).
	if cfg.IsDev() && commandsThatMigrate[cmd.Name()] {
		direct, key := cfg.Database.URL, "database.url"
		if cfg.Database.DirectURL != "" {
			direct, key = cfg.Database.DirectURL, "database.direct_url"
		}
		if err := tenant.EnsureDatabase(ctx, direct); err != nil {
			return nil, fmt.Errorf("cannot reach PostgreSQL at %s (%s): %w", redactURL(direct), key, err)
		}
	}
	dbs, err := tenant.OpenDatabases(cfg.Database.URL, tenant.PoolConfig{
		MaxConns: cfg.Database.MaxConns, MaxIdleTime: cfg.Database.ConnMaxIdleTime,
		AcquireTimeout: cfg.Database.AcquireTimeout, DirectURL: cfg.Database.DirectURL,
		AppName: "speks-" + cmd.Name(),
	})
	if err != nil {
		return nil, err
	}
	if err := dbs.Public().PingContext(ctx); err != nil {
		dbs.Close()
		return nil, fmt.Errorf("cannot reach PostgreSQL at %s (database.url): %w", redactURL(cfg.Database.URL), err)
	}
	if err := requireMigrated(ctx, cmd, dbs); err != nil {
		dbs.Close()
		return nil, err
	}
	registry := tenant.NewRegistry(dbs.Public())
	devSuffix := ""
	if cfg.IsDev() {
		devSuffix = cfg.Platform.DevHostSuffix
	}
	resolver := tenant.NewResolver(registry, devSuffix, 2*time.Second)
	return &runtime{
		cfg:         cfg,
		log:         log,
		dbs:         dbs,
		registry:    registry,
		resolver:    resolver,
		scoper:      &tenant.Scoper{Resolver: resolver, Databases: dbs, PlatformHost: cfg.Platform.Host},
		provisioner: newProvisioner(registry, dbs, cfg.Platform.Host),
	}, nil
}

func (rt *runtime) Close() { _ = rt.dbs.Close() }

// openTenant builds the runtime and opens one active tenant's scope: what every command
// with --tenant needs. The caller closes rt.
func openTenant(cmd *cobra.Command, code string) (context.Context, *runtime, *tenant.Scope, error) {
	rt, err := newRuntime(cmd)
	if err != nil {
		return nil, nil, nil, err
	}
	ctx, scope, err := rt.scoper.ForCode(cmd.Context(), code)
	if err != nil {
		rt.Close()
		return nil, nil, nil, describeTenantError(err)
	}
	return ctx, rt, scope, nil
}

// tenantBaseURL is where a tenant's portal answers, for links in mails sent outside a
// request: its first host over HTTPS in production, <code>.localhost:<port> in dev.
func (rt *runtime) tenantBaseURL(t *tenant.Tenant) string {
	if rt.cfg.IsDev() || len(t.Hosts) == 0 {
		return "http://" + t.Code + rt.cfg.Platform.DevHostSuffix + ":" + rt.cfg.Port()
	}
	return "https://" + t.Hosts[0]
}

// loginURL is the login page of a tenant as mails link to it.
func (rt *runtime) loginURL(t *tenant.Tenant) string { return rt.tenantBaseURL(t) + "/login" }

// commandsThatMigrate bring the schema up to date themselves; every other command needs a
// platform schema that is already current.
var commandsThatMigrate = map[string]bool{"migrate": true, "demo": true}

// requireMigrated turns "relation does not exist" surprises into one clear instruction.
func requireMigrated(ctx context.Context, cmd *cobra.Command, dbs *tenant.Databases) error {
	if commandsThatMigrate[cmd.Name()] {
		return nil
	}
	pending, err := dbs.Pending(ctx, migrations.Platform, "public")
	if err != nil {
		return err
	}
	if pending {
		return errors.New("the database is not migrated to this version of speks: run `speks migrate` first")
	}
	return nil
}

// redisOpt is the Asynq connection: redis.url, or Redis Sentinel when
// redis.sentinel.master_name is set (then redis.url gives only the password and DB number).
func (rt *runtime) redisOpt() (asynq.RedisConnOpt, error) {
	raw, err := config.RedisAddr(rt.cfg.Redis.URL)
	if err != nil {
		return nil, err
	}
	opt, err := asynq.ParseRedisURI(raw)
	if err != nil {
		return nil, fmt.Errorf("redis.url: %w", err)
	}
	sentinel := rt.cfg.Redis.Sentinel
	direct, ok := opt.(asynq.RedisClientOpt)
	if sentinel.MasterName == "" || !ok {
		return opt, nil
	}
	return asynq.RedisFailoverClientOpt{
		MasterName:       sentinel.MasterName,
		SentinelAddrs:    sentinel.Addrs,
		SentinelPassword: sentinel.Password,
		Username:         direct.Username,
		Password:         direct.Password,
		DB:               direct.DB,
		TLSConfig:        direct.TLSConfig,
	}, nil
}

// redisClient is a plain client for readiness checks, made from the same options as Asynq's
// so both always talk to the same Redis.
func (rt *runtime) redisClient() (redis.UniversalClient, error) {
	opt, err := rt.redisOpt()
	if err != nil {
		return nil, err
	}
	client, ok := opt.MakeRedisClient().(redis.UniversalClient)
	if !ok {
		return nil, fmt.Errorf("redis.url: unsupported connection %T", opt)
	}
	return client, nil
}

func newLogger(cfg *config.Config) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Log.Level))
	opts := &slog.HandlerOptions{Level: level}
	format := cfg.Log.Format
	if format == "" {
		format = "text"
		if cfg.Mode == config.ModeProduction {
			format = "json"
		}
	}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}

// redactURL drops the password from a URL so it can be printed.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
