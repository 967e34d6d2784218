package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func production() map[string]string {
	return map[string]string{
		"APP_ENV":        "production",
		"DATABASE_URL":   "postgres://osk@db.internal/osk",
		"SESSION_SECRET": "6f1c0e9a4b27d853e0f4a1c9b7d26e3f",
		"BASE_URL":       "https://osk.example.org",
	}
}

func TestFromEnv_ProductionAcceptsCompleteSettings(t *testing.T) {
	cfg, err := FromEnv(env(production()))
	if err != nil {
		t.Fatalf("FromEnv: %v", err)
	}
	if cfg.IsDevelopment() || !cfg.HTTPS() || cfg.Port != 8080 || cfg.BaseURL.String() != "https://osk.example.org" {
		t.Fatalf("unexpected config: %+v", cfg)
	}
}

func TestFromEnv_DefaultsToProduction(t *testing.T) {
	_, err := FromEnv(env(map[string]string{}))
	if err == nil || !strings.Contains(err.Error(), "DATABASE_URL") {
		t.Fatalf("an empty environment must be treated as production and refused, got %v", err)
	}
}

func TestFromEnv_ProductionRefusesEachMissingOrMalformedSetting(t *testing.T) {
	cases := []struct {
		name     string
		change   func(m map[string]string)
		variable string
	}{
		{"no database", func(m map[string]string) { delete(m, "DATABASE_URL") }, "DATABASE_URL"},
		{"no secret", func(m map[string]string) { delete(m, "SESSION_SECRET") }, "SESSION_SECRET"},
		{"short secret", func(m map[string]string) { m["SESSION_SECRET"] = "short" }, "SESSION_SECRET"},
		{"http base", func(m map[string]string) { m["BASE_URL"] = "http://osk.example.org" }, "BASE_URL"},
		{"no base", func(m map[string]string) { delete(m, "BASE_URL") }, "BASE_URL"},
		{"relative base", func(m map[string]string) { m["BASE_URL"] = "osk.example.org" }, "BASE_URL"},
		{"base with path", func(m map[string]string) { m["BASE_URL"] = "https://example.org/osk" }, "BASE_URL"},
		{"unknown env", func(m map[string]string) { m["APP_ENV"] = "staging" }, "APP_ENV"},
		{"port not a number", func(m map[string]string) { m["PORT"] = "eighty" }, "PORT"},
		{"port out of range", func(m map[string]string) { m["PORT"] = "70000" }, "PORT"},
		{"bad proxy", func(m map[string]string) { m["TRUSTED_PROXIES"] = "10.0.0.1,not-an-ip" }, "TRUSTED_PROXIES"},
		{"bad grace", func(m map[string]string) { m["SHUTDOWN_GRACE"] = "soon" }, "SHUTDOWN_GRACE"},
		{"bad smtp", func(m map[string]string) { m["SMTP_URL"] = "mail.example.org" }, "SMTP_URL"},
		{"smtp port 0", func(m map[string]string) { m["SMTP_URL"] = "smtp://mail.example.org:0" }, "SMTP_URL"},
		{"smtp port too high", func(m map[string]string) { m["SMTP_URL"] = "smtps://mail.example.org:65536" }, "SMTP_URL"},
		{"smtp with a path", func(m map[string]string) { m["SMTP_URL"] = "smtp://mail.example.org:587/osk" }, "SMTP_URL"},
		{"smtp with a query", func(m map[string]string) { m["SMTP_URL"] = "smtp://mail.example.org:587?tls=off" }, "SMTP_URL"},
		{"smtp with a fragment", func(m map[string]string) { m["SMTP_URL"] = "smtp://mail.example.org#x" }, "SMTP_URL"},
		{"database not a url", func(m map[string]string) { m["DATABASE_URL"] = "notaurl" }, "DATABASE_URL"},
		{"database of another scheme", func(m map[string]string) { m["DATABASE_URL"] = "mysql://osk@db.internal/osk" }, "DATABASE_URL"},
		{"database url with a bad port", func(m map[string]string) { m["DATABASE_URL"] = "postgres://osk@db.internal:port/osk" }, "DATABASE_URL"},
		{"database url with a bad sslmode", func(m map[string]string) { m["DATABASE_URL"] = "postgres://osk@db.internal/osk?sslmode=requir" }, "DATABASE_URL"},
		{"database keywords unterminated", func(m map[string]string) { m["DATABASE_URL"] = "host=db.internal password='x" }, "DATABASE_URL"},
		{"development secret", func(m map[string]string) { m["SESSION_SECRET"] = developmentSecret }, "SESSION_SECRET"},
		{"one repeated character", func(m map[string]string) { m["SESSION_SECRET"] = strings.Repeat("a", 32) }, "SESSION_SECRET"},
		{"seven characters", func(m map[string]string) { m["SESSION_SECRET"] = strings.Repeat("abcdefg", 5) }, "SESSION_SECRET"},
		{"bad sender", func(m map[string]string) { m["MAIL_FROM"] = "nobody" }, "MAIL_FROM"},
		{"client id without secret", func(m map[string]string) { m["GITHUB_CLIENT_ID"] = "abc" }, "GITHUB_CLIENT_SECRET"},
		{"oidc without issuer", func(m map[string]string) { m["OIDC_CLIENT_ID"] = "a"; m["OIDC_CLIENT_SECRET"] = "b" }, "OIDC_ISSUER"},
		{"bad log level", func(m map[string]string) { m["LOG_LEVEL"] = "loud" }, "LOG_LEVEL"},
		{"huge body limit", func(m map[string]string) { m["BODY_LIMIT_BYTES"] = "999999999999" }, "BODY_LIMIT_BYTES"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := production()
			tc.change(m)
			_, err := FromEnv(env(m))
			var cfgErr *Error
			if !errors.As(err, &cfgErr) {
				t.Fatalf("want a configuration error naming %s, got %v", tc.variable, err)
			}
			if !strings.Contains(err.Error(), tc.variable) {
				t.Fatalf("error %q does not name %s", err, tc.variable)
			}
		})
	}
}

func TestFromEnv_ReportsAllProblemsAtOnce(t *testing.T) {
	_, err := FromEnv(env(map[string]string{"APP_ENV": "production", "PORT": "x"}))
	var cfgErr *Error
	if !errors.As(err, &cfgErr) || len(cfgErr.Problems) < 3 {
		t.Fatalf("want PORT, DATABASE_URL, SESSION_SECRET and BASE_URL reported together, got %v", err)
	}
}

func TestFromEnv_DevelopmentDefaults(t *testing.T) {
	cfg, err := FromEnv(env(map[string]string{"APP_ENV": "development", "PORT": "9000"}))
	if err != nil {
		t.Fatalf("FromEnv: %v", err)
	}
	if !cfg.IsDevelopment() || cfg.DatabaseURL != "" || cfg.SessionSecret == "" {
		t.Fatalf("unexpected development config: %+v", cfg)
	}
	if cfg.BaseURL.String() != "http://localhost:9000" || cfg.HTTPS() {
		t.Fatalf("base URL = %s", cfg.BaseURL)
	}
	if cfg.ShutdownGrace != 15*time.Second || cfg.DataDir != ".data" || cfg.BodyLimit != 1<<20 {
		t.Fatalf("unexpected defaults: %+v", cfg)
	}
}

func TestFromEnv_TrustedProxies(t *testing.T) {
	m := production()
	m["TRUSTED_PROXIES"] = " 10.0.0.1, fdaa::/16 ,"
	cfg, err := FromEnv(env(m))
	if err != nil {
		t.Fatalf("FromEnv: %v", err)
	}
	if len(cfg.TrustedProxies) != 2 || cfg.TrustedProxies[1] != "fdaa::/16" {
		t.Fatalf("proxies = %q", cfg.TrustedProxies)
	}
}

func TestFromEnv_ProductionSecretSaysHowToMakeOne(t *testing.T) {
	for _, secret := range []string{developmentSecret, strings.Repeat("a", 32), strings.Repeat("abcdefg", 5)} {
		m := production()
		m["SESSION_SECRET"] = secret
		_, err := FromEnv(env(m))
		if err == nil || !strings.Contains(err.Error(), "SESSION_SECRET") || !strings.Contains(err.Error(), "openssl rand -hex 32") {
			t.Errorf("SESSION_SECRET %q: %v", secret, err)
		}
	}
}

func TestFromEnv_DatabaseURLForms(t *testing.T) {
	for _, u := range []string{
		"postgres://osk:pw@db.internal:5432/osk?sslmode=require",
		"postgresql://osk@db.internal/osk",
		"postgres:///osk?host=/var/run/postgresql",
		"host=db.internal port=5432 dbname=osk user=osk password='a b' sslmode=verify-full",
	} {
		m := production()
		m["DATABASE_URL"] = u
		cfg, err := FromEnv(env(m))
		if err != nil || cfg.DatabaseURL != u {
			t.Errorf("DATABASE_URL %q: %v", u, err)
		}
	}
}

// The connection strings hold passwords, and the messages go to logs.
func TestFromEnv_MalformedURLsKeepTheirPasswordsOutOfTheMessage(t *testing.T) {
	for name, value := range map[string]string{
		"DATABASE_URL": "postgres://osk:hunter2-secret@db.internal:port/osk",
		"SMTP_URL":     "smtp://osk:hunter2-secret@mail.example.org:0",
	} {
		m := production()
		m[name] = value
		_, err := FromEnv(env(m))
		if err == nil || !strings.Contains(err.Error(), name) || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s %q: %v", name, value, err)
		}
	}
}
