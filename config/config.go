// Package config loads the platform's configuration with Viper: built-in defaults that run
// locally with no file at all, then an optional YAML file, then SPEKS_* environment variables,
// then command-line flags. Validate reports every problem at once, one line each.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"
)

// Modes the platform runs in.
const (
	ModeDev        = "dev"
	ModeProduction = "production"
)

// Config is the whole configuration; every field maps to one documented key (docs/CONFIGURATION.md).
type Config struct {
	Mode     string         `mapstructure:"mode"`
	HTTP     HTTPConfig     `mapstructure:"http"`
	Platform PlatformConfig `mapstructure:"platform"`
	Database DatabaseConfig `mapstructure:"database"`
	Redis    RedisConfig    `mapstructure:"redis"`
	SMTP     SMTPConfig     `mapstructure:"smtp"`
	Mail     MailConfig     `mapstructure:"mail"`
	Secrets  SecretsConfig  `mapstructure:"secrets"`
	Log      LogConfig      `mapstructure:"log"`
	Metrics  MetricsConfig  `mapstructure:"metrics"`
	Health   HealthConfig   `mapstructure:"health"`
	Feeds    FeedsConfig    `mapstructure:"feeds"`
}

type HTTPConfig struct {
	Listen          string        `mapstructure:"listen"`
	TrustedProxies  []string      `mapstructure:"trusted_proxies"`
	ShutdownTimeout time.Duration `mapstructure:"shutdown_timeout"`
	// PublicPort is the port printed in local URLs and used in links; 0 = taken from Listen.
	PublicPort int `mapstructure:"public_port"`
}

type PlatformConfig struct {
	Host string `mapstructure:"host"`
	// DevHostSuffix makes every tenant answer on <code><suffix> as well, outside production only.
	DevHostSuffix string `mapstructure:"dev_host_suffix"`
}

type DatabaseConfig struct {
	// URL is where the process's pool connects: PostgreSQL, or a transaction pooler (PgBouncer).
	URL string `mapstructure:"url"`
	// DirectURL reaches PostgreSQL itself (migrations, advisory locks, LISTEN); "" = URL.
	DirectURL string `mapstructure:"direct_url"`
	// MaxConns is the process's connection budget, all tenants and the platform together:
	// connections = max_conns × processes (docs/OPERATIONS.md).
	MaxConns int `mapstructure:"max_conns"`
	// AcquireTimeout is how long a request waits for a connection of the budget before it is
	// answered 503 + Retry-After.
	AcquireTimeout  time.Duration `mapstructure:"acquire_timeout"`
	ConnMaxIdleTime time.Duration `mapstructure:"conn_max_idle_time"`
	// Replaced by MaxConns (one pool per process, not one per tenant); Validate refuses them.
	MaxOpenConns int `mapstructure:"max_open_conns"`
	MaxIdleConns int `mapstructure:"max_idle_conns"`
}

type RedisConfig struct {
	URL      string         `mapstructure:"url"`
	Sentinel SentinelConfig `mapstructure:"sentinel"`
}

// SentinelConfig switches Redis to Sentinel-managed failover when MasterName is set.
type SentinelConfig struct {
	MasterName string   `mapstructure:"master_name"`
	Addrs      []string `mapstructure:"addrs"`
	Password   string   `mapstructure:"password"`
}

type SMTPConfig struct {
	URL string `mapstructure:"url"`
}

type MailConfig struct {
	From string `mapstructure:"from"`
}

// SecretsConfig holds each server secret as a key ring, newest key first: one string, a
// comma-separated list (the environment's form) or a YAML list. The newest key signs and
// seals; the others still verify and open until they are removed (docs/OPERATIONS.md).
type SecretsConfig struct {
	Session []string `mapstructure:"session"`
	Decoy   []string `mapstructure:"decoy"`
}

type LogConfig struct {
	Level  string `mapstructure:"level"`
	Format string `mapstructure:"format"`
}

type MetricsConfig struct {
	// Listen, when set, serves /metrics on its own address instead of on every host.
	Listen string `mapstructure:"listen"`
}

// HealthConfig is the probe listener of the processes that serve no web traffic (worker,
// scheduler): /healthz (the process) and /readyz (its dependencies). serve answers both on
// its own listener.
type HealthConfig struct {
	Listen string `mapstructure:"listen"`
}

type FeedsConfig struct {
	MaxBodyBytes int64 `mapstructure:"max_body_bytes"`
}

// Dev-only secrets: good enough to run locally, refused in production by Validate.
const (
	devSessionSecret = "dev-only-session-secret-change-me-0123456789"
	devDecoySecret   = "dev-only-decoy-secret-change-me-0123456789ab"
)

// defaults holds every key with its default; registering each key is also what lets Viper
// pick the key up from the environment when Unmarshal runs.
var defaults = map[string]any{
	"mode":                        ModeDev,
	"http.listen":                 ":8080",
	"http.trusted_proxies":        []string{},
	"http.shutdown_timeout":       "20s",
	"http.public_port":            0,
	"platform.host":               "platform.localhost",
	"platform.dev_host_suffix":    ".localhost",
	"database.url":                "postgres://postgres@127.0.0.1:5432/speks?sslmode=disable",
	"database.direct_url":         "",
	"database.max_conns":          16,
	"database.acquire_timeout":    "2s",
	"database.max_open_conns":     0,
	"database.max_idle_conns":     0,
	"database.conn_max_idle_time": "5m",
	"redis.url":                   "redis://127.0.0.1:6379/0",
	"redis.sentinel.master_name":  "",
	"redis.sentinel.addrs":        []string{},
	"redis.sentinel.password":     "",
	"smtp.url":                    "",
	"mail.from":                   "SPEKS Portal <no-reply@speks.localhost>",
	"secrets.session":             "",
	"secrets.decoy":               "",
	"log.level":                   "info",
	"log.format":                  "",
	"metrics.listen":              "",
	"health.listen":               "",
	"feeds.max_body_bytes":        int64(512 << 20),
}

// Keys lists every configuration key, sorted as documented.
func Keys() []string {
	keys := make([]string, 0, len(defaults))
	for k := range defaults {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// BindFlags adds the global flags every subcommand shares.
func BindFlags(fs *pflag.FlagSet) {
	fs.String("config", "", "path to a YAML configuration file (or SPEKS_CONFIG)")
	fs.String("database-url", "", "PostgreSQL URL (database.url)")
	fs.String("redis-url", "", "Redis URL (redis.url)")
	fs.String("listen", "", "HTTP listen address (http.listen)")
	fs.String("mode", "", "dev or production (mode)")
}

var flagKeys = map[string]string{
	"database-url": "database.url",
	"redis-url":    "redis.url",
	"listen":       "http.listen",
	"mode":         "mode",
}

// Load reads defaults, the optional file, the environment and the flags (fs may be nil).
func Load(fs *pflag.FlagSet) (*Config, error) {
	v := viper.New()
	for k, val := range defaults {
		v.SetDefault(k, val)
	}
	v.SetEnvPrefix("SPEKS")
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	v.AutomaticEnv()

	file := v.GetString("config")
	if fs != nil {
		for flag, key := range flagKeys {
			if f := fs.Lookup(flag); f != nil {
				if err := v.BindPFlag(key, f); err != nil {
					return nil, fmt.Errorf("bind flag --%s: %w", flag, err)
				}
			}
		}
		if f := fs.Lookup("config"); f != nil && f.Changed {
			file = f.Value.String()
		}
	}
	if file != "" {
		v.SetConfigFile(file)
		v.SetConfigType("yaml")
		if err := v.ReadInConfig(); err != nil {
			return nil, fmt.Errorf("read configuration file %s: %w", file, err)
		}
	}

	var cfg Config
	if err := v.Unmarshal(&cfg); err != nil {
		return nil, fmt.Errorf("decode configuration: %w", err)
	}
	// A list from the environment arrives as one string; accept commas or spaces.
	cfg.HTTP.TrustedProxies = splitList(cfg.HTTP.TrustedProxies)
	cfg.Redis.Sentinel.Addrs = splitList(cfg.Redis.Sentinel.Addrs)
	cfg.Secrets.Session = splitKeys(cfg.Secrets.Session)
	cfg.Secrets.Decoy = splitKeys(cfg.Secrets.Decoy)
	cfg.Platform.Host = strings.ToLower(strings.TrimSpace(cfg.Platform.Host))
	if cfg.Mode == ModeDev {
		if len(cfg.Secrets.Session) == 0 {
			cfg.Secrets.Session = []string{devSessionSecret}
		}
		if len(cfg.Secrets.Decoy) == 0 {
			cfg.Secrets.Decoy = []string{devDecoySecret}
		}
	}
	return &cfg, nil
}

func splitList(in []string) []string {
	var out []string
	for _, item := range in {
		for _, part := range strings.FieldsFunc(item, func(r rune) bool { return r == ',' || r == ' ' }) {
			out = append(out, part)
		}
	}
	return out
}

// splitKeys splits a key ring given as comma-separated strings; a key is trimmed and may hold
// anything but a comma (base64 or hex secrets never do).
func splitKeys(in []string) []string {
	var out []string
	for _, item := range in {
		for _, part := range strings.Split(item, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
	}
	return out
}

// IsDev reports whether local conveniences (dev host suffix, mail sink, demo) are allowed.
func (c *Config) IsDev() bool { return c.Mode == ModeDev }

// Port is the port part of http.listen (or http.public_port), used in printed local URLs.
func (c *Config) Port() string {
	if c.HTTP.PublicPort > 0 {
		return fmt.Sprint(c.HTTP.PublicPort)
	}
	_, port, err := net.SplitHostPort(c.HTTP.Listen)
	if err != nil || port == "" {
		return "80"
	}
	return port
}

// Validate returns one error per problem, joined; the message of each is one line.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if c.Mode != ModeDev && c.Mode != ModeProduction {
		bad("mode: must be %q or %q, got %q", ModeDev, ModeProduction, c.Mode)
	}
	if _, _, err := net.SplitHostPort(c.HTTP.Listen); err != nil {
		bad("http.listen: %q is not host:port (e.g. \":8080\")", c.HTTP.Listen)
	}
	if c.Health.Listen != "" {
		if _, _, err := net.SplitHostPort(c.Health.Listen); err != nil {
			bad("health.listen: %q is not host:port", c.Health.Listen)
		}
	}
	if c.Metrics.Listen != "" {
		if _, _, err := net.SplitHostPort(c.Metrics.Listen); err != nil {
			bad("metrics.listen: %q is not host:port", c.Metrics.Listen)
		}
	}
	for _, p := range c.HTTP.TrustedProxies {
		if net.ParseIP(p) == nil {
			if _, _, err := net.ParseCIDR(p); err != nil {
				bad("http.trusted_proxies: %q is neither an IP address nor a CIDR range", p)
			}
		}
	}
	if c.HTTP.ShutdownTimeout <= 0 {
		bad("http.shutdown_timeout: must be positive")
	}
	if c.Platform.Host == "" || strings.ContainsAny(c.Platform.Host, "/: ") {
		bad("platform.host: must be a host name without scheme or port, got %q", c.Platform.Host)
	}
	if u, err := url.Parse(c.Database.URL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		bad("database.url: must be a postgres:// URL")
	}
	if c.Database.DirectURL != "" {
		if u, err := url.Parse(c.Database.DirectURL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			bad("database.direct_url: must be a postgres:// URL")
		}
	}
	if c.Database.MaxConns < 1 {
		bad("database.max_conns: must be at least 1")
	}
	if c.Database.AcquireTimeout <= 0 {
		bad("database.acquire_timeout: must be positive")
	}
	for _, old := range []struct {
		key string
		val int
	}{{"max_open_conns", c.Database.MaxOpenConns}, {"max_idle_conns", c.Database.MaxIdleConns}} {
		if old.val != 0 {
			bad("database.%s: no longer used: replaced by database.max_conns, one connection budget for all tenants of a process (docs/CONFIGURATION.md); remove it", old.key)
		}
	}
	if _, err := RedisAddr(c.Redis.URL); err != nil {
		bad("redis.url: %v", err)
	}
	if c.Redis.Sentinel.MasterName != "" {
		if len(c.Redis.Sentinel.Addrs) == 0 {
			bad("redis.sentinel.addrs: required when redis.sentinel.master_name is set")
		}
		for _, a := range c.Redis.Sentinel.Addrs {
			if _, _, err := net.SplitHostPort(a); err != nil {
				bad("redis.sentinel.addrs: %q is not host:port", a)
			}
		}
	}
	if c.SMTP.URL != "" {
		if u, err := url.Parse(c.SMTP.URL); err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Host == "" {
			bad("smtp.url: must look like smtp://user:pass@host:port")
		}
	}
	if _, err := mail.ParseAddress(c.Mail.From); err != nil {
		bad("mail.from: %q is not an email address", c.Mail.From)
	}
	if c.Feeds.MaxBodyBytes < 1024 {
		bad("feeds.max_body_bytes: must be at least 1024")
	}
	switch c.Log.Format {
	case "", "json", "text":
	default:
		bad("log.format: must be json or text")
	}
	if c.Mode == ModeProduction {
		if c.SMTP.URL == "" {
			bad("smtp.url: required in production (the built-in mail sink is for dev only)")
		}
	}
	for _, ring := range []struct {
		key  string
		keys []string
	}{{"secrets.session", c.Secrets.Session}, {"secrets.decoy", c.Secrets.Decoy}} {
		if len(ring.keys) == 0 && c.Mode == ModeProduction {
			bad("%s: required in production", ring.key)
		}
		for i, val := range ring.keys {
			which := ring.key
			if len(ring.keys) > 1 {
				which = fmt.Sprintf("%s key %d of %d", ring.key, i+1, len(ring.keys))
			}
			switch j := slices.Index(ring.keys, val); {
			case j < i:
				bad("%s: repeats key %d", which, j+1)
			case c.Mode != ModeProduction:
			case len(val) < 32:
				bad("%s: must be at least 32 characters", which)
			case val == devSessionSecret || val == devDecoySecret:
				bad("%s: the dev secret must not be used in production", which)
			}
		}
	}
	return errors.Join(errs...)
}

// ValidateServe is Validate plus what only `speks serve` needs: in production /metrics
// (every tenant's and route's counts) must have a listener of its own, which the ingress does
// not publish (the Helm chart's metrics port), because serve never answers it on a public host
// there. One line, like every other problem.
func (c *Config) ValidateServe() error {
	err := c.Validate()
	if c.Mode == ModeProduction && c.Metrics.Listen == "" {
		err = errors.Join(err, errors.New("metrics.listen: required by serve in production (e.g. \":9090\"): /metrics is never served on a public host there"))
	}
	return err
}

// RedisAddr accepts redis://, rediss:// or a bare host:port and returns a redis:// URL.
func RedisAddr(raw string) (string, error) {
	if raw == "" {
		return "", errors.New("must not be empty")
	}
	if !strings.Contains(raw, "://") {
		raw = "redis://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
		return "", fmt.Errorf("%q is not a redis:// URL or host:port", raw)
	}
	return raw, nil
}
