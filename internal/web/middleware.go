package web

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"path"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
)

// Keys of the values middleware leaves in c.Locals.
const (
	localRequestID = "osk.request_id"
	localAccountID = "osk.account_id"
)

// RequestID returns the id given to this request, also sent back in the
// X-Request-ID header, so that a member reporting a problem can quote it.
func RequestID(c *fiber.Ctx) string {
	id, _ := c.Locals(localRequestID).(string)
	return id
}

// SetAccountID records who made the request, for the access log.
func SetAccountID(c *fiber.Ctx, id int64) {
	c.Locals(localAccountID, id)
}

func requestID() fiber.Handler {
	return func(c *fiber.Ctx) error {
		// Always our own id: one chosen by the client could forge log lines.
		var b [8]byte
		if _, err := rand.Read(b[:]); err != nil {
			return fmt.Errorf("web: request id: %w", err)
		}
		id := hex.EncodeToString(b[:])
		c.Locals(localRequestID, id)
		c.Set("X-Request-ID", id)
		return c.Next()
	}
}

// ClientIP is the address of the client: the peer's, or, when the peer is
// a trusted proxy (TRUSTED_PROXIES), the last address of its
// X-Forwarded-For, which is the one that proxy saw connecting. The
// addresses before it are whatever the client claimed, and are never
// believed: they would let a client count itself as many past the rate
// limits.
func ClientIP(c *fiber.Ctx) string {
	peer := c.Context().RemoteIP().String()
	if !c.App().Config().EnableTrustedProxyCheck || !c.IsProxyTrusted() {
		return peer
	}
	forwarded := c.Get(fiber.HeaderXForwardedFor)
	last := strings.TrimSpace(forwarded[strings.LastIndexByte(forwarded, ',')+1:])
	if net.ParseIP(last) == nil {
		return peer
	}
	return last
}

// secretWords name the paths whose rest is a secret, never logged: a
// receipt (beside the account id it would tie a voter to their choice,
// whether or not the request got as far as the receipt's handler) and a
// calendar feed's address (which opens the feed to whoever reads the log).
var secretWords = []string{"receipts", "calendar"}

// loggedPath is the path as the access log writes it, secrets replaced.
// The secret is looked for in the path however a client may have mangled
// it on the way to a 404, for the log's reader may read it all the same,
// and the test fails closed: in any case; percent-encoded any number of
// times, bad escapes and all; with backslashes, semicolons, spaces or dot
// segments between; under any prefix. Anything after a secret word and a
// character that is no letter or digit is hidden, the calendar file of a
// meeting (calendar.ics) apart; a path still encoded after many rounds
// of decoding is hidden whole.
func loggedPath(raw string) string {
	p := strings.ToLower(raw)
	// Most paths, every vote's among them, hold neither an escape nor a
	// secret word, and are logged as they are at once.
	if !strings.Contains(p, "%") && !strings.Contains(p, secretWords[0]) && !strings.Contains(p, secretWords[1]) {
		return raw
	}
	for range 8 {
		decoded := unescapeLoosely(p)
		if decoded == p {
			break
		}
		p = decoded
	}
	if unescapeLoosely(p) != p {
		return "-"
	}
	cleaned := path.Clean("/" + strings.NewReplacer(`\`, "/", ";", "/").Replace(p))
	for _, candidate := range []string{cleaned, p} {
		if hidden, ok := hideSecret(candidate); ok {
			return hidden
		}
	}
	return raw
}

// hideSecret hides what follows a secret word in p.
func hideSecret(p string) (string, bool) {
	for _, word := range secretWords {
		for from := 0; ; {
			i := strings.Index(p[from:], word)
			if i < 0 {
				break
			}
			end := from + i + len(word)
			rest := p[end:]
			if len(rest) > 1 && !isAlnum(rest[0]) && rest != ".ics" {
				return p[:end] + "/-", true
			}
			from = end
		}
	}
	return "", false
}

func isAlnum(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'z'
}

// unescapeLoosely decodes the valid percent escapes of s and keeps the
// rest as it is, where url.PathUnescape refuses the whole.
func unescapeLoosely(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// accessLog writes one line per request. It answers errors through the
// app's error handler itself, so that the line carries the final status.
// It logs the path without the query string, which may hold OAuth codes,
// and without the secrets some paths hold (loggedPath).
func accessLog(logger *slog.Logger) fiber.Handler {
	return func(c *fiber.Ctx) error {
		start := time.Now()
		if err := c.Next(); err != nil {
			if herr := c.App().ErrorHandler(c, err); herr != nil {
				logger.Error("error handler failed", "request_id", RequestID(c), "error", herr)
				_ = c.SendStatus(fiber.StatusInternalServerError)
			}
		}
		attrs := []any{
			"request_id", RequestID(c),
			"method", c.Method(),
			"path", loggedPath(c.Path()),
			"route", c.Route().Path,
			"status", c.Response().StatusCode(),
			"duration_ms", float64(time.Since(start).Microseconds()) / 1000,
			"ip", ClientIP(c),
		}
		if id, ok := c.Locals(localAccountID).(int64); ok {
			attrs = append(attrs, "account_id", id)
		}
		logger.Info("request", attrs...)
		return nil
	}
}

func recoverPanics(logger *slog.Logger) fiber.Handler {
	return func(c *fiber.Ctx) (err error) {
		defer func() {
			if p := recover(); p != nil {
				logger.Error("panic", "request_id", RequestID(c), "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				err = fiber.ErrInternalServerError
			}
		}()
		return c.Next()
	}
}

// contentSecurityPolicy allows scripts, styles and images from Osk itself
// only: no inline script, so an injected tag cannot run.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

func securityHeaders(https bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentSecurityPolicy, contentSecurityPolicy)
		c.Set(fiber.HeaderXFrameOptions, "DENY")
		c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
		c.Set(fiber.HeaderReferrerPolicy, "same-origin")
		c.Set("Cross-Origin-Opener-Policy", "same-origin")
		c.Set(fiber.HeaderPermissionsPolicy, "camera=(), microphone=(), geolocation=(), payment=()")
		if https {
			c.Set(fiber.HeaderStrictTransportSecurity, "max-age=63072000; includeSubDomains")
		}
		return c.Next()
	}
}

// refuseCompressedBodies answers 415 to a request body with a content
// encoding: Fiber would inflate it without any size limit, so a small gzip
// bomb could exhaust memory.
func refuseCompressedBodies() fiber.Handler {
	return func(c *fiber.Ctx) error {
		enc := strings.TrimSpace(strings.ToLower(c.Get(fiber.HeaderContentEncoding)))
		if enc != "" && enc != "identity" {
			return fiber.NewError(fiber.StatusUnsupportedMediaType, "Compressed request bodies are not accepted; send the body uncompressed.")
		}
		return c.Next()
	}
}
