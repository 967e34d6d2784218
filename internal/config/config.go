// Package config reads Osk's settings from the environment once, at start,
// into one typed struct that is then passed to whatever needs it.
//
// Every problem is reported with the name of the variable and what is wrong,
// and all problems are reported together so that an operator fixes a broken
// deployment in one go.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/lib/pq"
)

// The environments Osk knows. Development mounts the built-in sign-in
// provider, the adjustable clock and the mail viewer, and may start a private
// PostgreSQL; production never does any of that.
const (
	Development = "development"
	Production  = "production"
)

// MinSecretLength is the shortest SESSION_SECRET accepted in production:
// 32 bytes of entropy when generated as recommended in README.md.
const MinSecretLength = 32

// minSecretDistinct is the fewest different characters a production
// SESSION_SECRET may have. Length alone lets through "aaaa…" and other
// typed placeholders; a generated hex secret of 32 characters has about 14.
const minSecretDistinct = 8

// developmentSecret keeps development's sessions across restarts. It is
// published with the source, so production refuses it.
const developmentSecret = "development-secret-not-for-production-use"

// Config is every setting of Osk.
type Config struct {
	Env            string
	Port           int
	BaseURL        *url.URL
	DatabaseURL    string // empty in development: use the private PostgreSQL
	DataDir        string // where the private PostgreSQL and other local state live
	SessionSecret  string
	TrustedProxies []string
	BodyLimit      int
	DBMaxConns     int
	ShutdownGrace  time.Duration
	LogLevel       string
	SMTPURL        *url.URL // nil: development keeps mail in the outbox only
	MailFrom       string
	Providers      Providers
}

// Providers holds the OAuth client settings; a provider is enabled when its
// client id is set.
type Providers struct {
	Google    OAuthClient
	GitHub    OAuthClient
	Microsoft OAuthClient
	// Microsoft's tenant: "common" (any account), "organizations", or a
	// tenant id.
	MicrosoftTenant string
	OIDC            OAuthClient
	// OIDCIssuer is the issuer URL of the co-op's own OpenID Connect
	// provider; discovery is read from ISSUER/.well-known/openid-configuration.
	OIDCIssuer string
	// OIDCName is how the provider is labelled on the sign-in page.
	OIDCName string
}

// OAuthClient is one provider's client registration.
type OAuthClient struct {
	ClientID     string
	ClientSecret string
}

// Enabled reports whether the provider is configured.
func (o OAuthClient) Enabled() bool { return o.ClientID != "" }

// IsDevelopment reports whether the development tools may be mounted.
func (c Config) IsDevelopment() bool { return c.Env == Development }

// HTTPS reports whether Osk is served over https, which turns on secure
// cookies with the __Host- prefix and HSTS.
func (c Config) HTTPS() bool { return c.BaseURL.Scheme == "https" }

// Error lists every problem found in the environment.
type Error struct {
	Problems []string
}

func (e *Error) Error() string {
	return "configuration: " + strings.Join(e.Problems, "; ")
}

// FromEnv reads the configuration through getenv (os.Getenv in production,
// a map in tests).
func FromEnv(getenv func(string) string) (Config, error) {
	r := reader{getenv: getenv}
	cfg := Config{
		Env:           r.oneOf("APP_ENV", Production, Development, Production),
		Port:          r.intIn("PORT", 8080, 1, 65535),
		DatabaseURL:   r.databaseURL("DATABASE_URL"),
		DataDir:       r.str("DATA_DIR", ".data"),
		SessionSecret: r.str("SESSION_SECRET", ""),
		BodyLimit:     r.intIn("BODY_LIMIT_BYTES", 1<<20, 1024, 64<<20),
		DBMaxConns:    r.intIn("DB_MAX_CONNS", 20, 2, 500),
		ShutdownGrace: r.duration("SHUTDOWN_GRACE", 15*time.Second),
		LogLevel:      r.oneOf("LOG_LEVEL", "info", "debug", "info", "warn", "error"),
		MailFrom:      r.str("MAIL_FROM", "Osk <osk@localhost>"),
	}
	cfg.TrustedProxies = r.proxies("TRUSTED_PROXIES")
	cfg.BaseURL = r.baseURL("BASE_URL", fmt.Sprintf("http://localhost:%d", cfg.Port))
	cfg.SMTPURL = r.smtpURL("SMTP_URL")
	if _, err := mail.ParseAddress(cfg.MailFrom); err != nil {
		r.problem("MAIL_FROM", "is not an email address (%v)", err)
	}
	cfg.Providers = Providers{
		Google:          r.client("GOOGLE"),
		GitHub:          r.client("GITHUB"),
		Microsoft:       r.client("MICROSOFT"),
		MicrosoftTenant: r.str("MICROSOFT_TENANT", "common"),
		OIDC:            r.client("OIDC"),
		OIDCIssuer:      r.str("OIDC_ISSUER", ""),
		OIDCName:        r.str("OIDC_NAME", "Citizen Network"),
	}
	if cfg.Providers.OIDC.Enabled() {
		if u, err := url.Parse(cfg.Providers.OIDCIssuer); err != nil || u.Scheme == "" || u.Host == "" {
			r.problem("OIDC_ISSUER", "must be the issuer's absolute URL when OIDC_CLIENT_ID is set")
		}
	}

	if cfg.Env == Production {
		if cfg.DatabaseURL == "" {
			r.problem("DATABASE_URL", "is required in production (the private PostgreSQL is for development only; set APP_ENV=development to use it)")
		}
		switch {
		case len(cfg.SessionSecret) < MinSecretLength:
			r.problem("SESSION_SECRET", "must be at least %d characters in production (generate one with: openssl rand -hex 32)", MinSecretLength)
		case cfg.SessionSecret == developmentSecret:
			r.problem("SESSION_SECRET", "is development's secret, which is published with the source (generate one with: openssl rand -hex 32)")
		case distinct(cfg.SessionSecret) < minSecretDistinct:
			r.problem("SESSION_SECRET", "has fewer than %d different characters, so it is easily guessed (generate one with: openssl rand -hex 32)", minSecretDistinct)
		}
		if cfg.BaseURL != nil && cfg.BaseURL.Scheme != "https" {
			r.problem("BASE_URL", "must be an https URL in production")
		}
	} else if cfg.SessionSecret == "" {
		// Development keeps sessions across restarts with a fixed secret;
		// production refuses to start without its own (checked above).
		cfg.SessionSecret = developmentSecret
	}
	if len(r.problems) > 0 {
		return Config{}, &Error{Problems: r.problems}
	}
	return cfg, nil
}

// reader collects problems while it parses, so that all are reported at once.
type reader struct {
	getenv   func(string) string
	problems []string
}

func (r *reader) problem(name, format string, args ...any) {
	r.problems = append(r.problems, name+" "+fmt.Sprintf(format, args...))
}

func (r *reader) str(name, def string) string {
	if v := strings.TrimSpace(r.getenv(name)); v != "" {
		return v
	}
	return def
}

func (r *reader) oneOf(name, def string, allowed ...string) string {
	v := r.str(name, def)
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	r.problem(name, "is %q but must be one of: %s", v, strings.Join(allowed, ", "))
	return def
}

func (r *reader) intIn(name string, def, lo, hi int) int {
	raw := r.str(name, "")
	if raw == "" {
		return def
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < lo || n > hi {
		r.problem(name, "is %q but must be a whole number from %d to %d", raw, lo, hi)
		return def
	}
	return n
}

func (r *reader) duration(name string, def time.Duration) time.Duration {
	raw := r.str(name, "")
	if raw == "" {
		return def
	}
	d, err := time.ParseDuration(raw)
	if err != nil || d <= 0 {
		r.problem(name, "is %q but must be a positive duration such as 15s", raw)
		return def
	}
	return d
}

func (r *reader) baseURL(name, def string) *url.URL {
	raw := r.str(name, def)
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		r.problem(name, "is %q but must be an absolute http or https URL such as https://osk.example.org", raw)
		u, _ = url.Parse(def)
		return u
	}
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.Fragment != "" {
		r.problem(name, "is %q but must have no path, query or fragment", raw)
	}
	u.Path = ""
	return u
}

// smtpURL applies the rules of internal/mail's SMTP sender, so that a URL it
// would refuse stops every command here, named, and not serve's mail worker
// later. The value holds a password, so no problem quotes it.
func (r *reader) smtpURL(name string) *url.URL {
	raw := r.str(name, "")
	if raw == "" {
		return nil
	}
	const form = "smtp://user:password@host:587 or smtps://user:password@host:465"
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
		r.problem(name, "must look like %s", form)
		return nil
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		r.problem(name, "must have no path, query or fragment: Osk reads none (%s)", form)
		return nil
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			r.problem(name, "has the port %q but a port is a whole number from 1 to 65535", p)
			return nil
		}
	}
	return u
}

// databaseURL checks the form of a connection string as lib/pq reads it, so
// that a malformed one is named here rather than in an error from the
// driver. The value holds a password, so no problem quotes it.
func (r *reader) databaseURL(name string) string {
	raw := r.str(name, "")
	if raw == "" {
		return ""
	}
	if strings.HasPrefix(raw, "postgres://") || strings.HasPrefix(raw, "postgresql://") {
		// url.Error repeats the whole URL, password included; its Err
		// alone says what is wrong.
		if _, err := url.Parse(raw); err != nil {
			var urlErr *url.Error
			if errors.As(err, &urlErr) {
				err = urlErr.Err
			}
			r.problem(name, "is not a valid URL (%v)", err)
			return raw
		}
	} else if strings.Contains(raw, "://") || !strings.Contains(raw, "=") {
		r.problem(name, "must be a postgres:// or postgresql:// URL, such as postgres://user:password@host:5432/osk?sslmode=require, "+
			"or a key=value connection string, such as \"host=db.internal dbname=osk\"")
		return raw
	}
	if _, err := pq.NewConfig(raw); err != nil {
		r.problem(name, "cannot be read by PostgreSQL's driver: %s", strings.TrimPrefix(err.Error(), "pq: "))
	}
	return raw
}

func distinct(s string) int {
	seen := map[rune]bool{}
	for _, c := range s {
		seen[c] = true
	}
	return len(seen)
}

func (r *reader) proxies(name string) []string {
	raw := r.str(name, "")
	if raw == "" {
		return nil
	}
	var out []string
	for _, p := range strings.Split(raw, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if net.ParseIP(p) == nil {
			if _, _, err := net.ParseCIDR(p); err != nil {
				r.problem(name, "has %q, which is neither an IP address nor a CIDR range", p)
				continue
			}
		}
		out = append(out, p)
	}
	return out
}

func (r *reader) client(prefix string) OAuthClient {
	c := OAuthClient{
		ClientID:     r.str(prefix+"_CLIENT_ID", ""),
		ClientSecret: r.str(prefix+"_CLIENT_SECRET", ""),
	}
	if c.ClientID != "" && c.ClientSecret == "" {
		r.problem(prefix+"_CLIENT_SECRET", "is required when %s_CLIENT_ID is set", prefix)
	}
	return c
}
