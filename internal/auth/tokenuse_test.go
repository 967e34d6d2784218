package auth_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/osktest"
)

// A token's use is shown to its owner without a write on the request
// that used it: the tokens page writes this instance's pending uses, and
// so does the recorder when it stops.
func TestTokenUse_IsShownWithoutAWriteOnTheRequest(t *testing.T) {
	inst := osktest.Start(t, osktest.Options{})
	ctx := context.Background()
	svc := inst.Server.Auth
	acc, err := svc.CreateAccount(ctx, auth.Operator, "script@example.org", "Script")
	if err != nil {
		t.Fatal(err)
	}
	raw, tok, err := svc.CreateToken(ctx, auth.Operator, acc.ID, "tally script", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	lastUsed := func(id int64) *time.Time {
		t.Helper()
		var at *time.Time
		if err := inst.DB.GetContext(ctx, &at, `SELECT last_used_at FROM api_tokens WHERE id = $1`, id); err != nil {
			t.Fatal(err)
		}
		return at
	}

	script := inst.Client(t)
	script.Token = raw
	if r := script.Get("/api/v1/me"); r.StatusCode != 200 {
		t.Fatalf("me with the token: %d %s", r.StatusCode, r.Body)
	}
	before := time.Now()
	owner := inst.Client(t)
	owner.SignIn("script@example.org", "Script")
	page := owner.Get("/account/tokens")
	if page.StatusCode != 200 || strings.Contains(string(page.Body), "never") {
		t.Fatalf("tokens page after a use: %d %s", page.StatusCode, page.Body)
	}
	if at := lastUsed(tok.ID); at == nil || at.After(before) {
		t.Fatalf("last use = %v, want the time of the request, before %v", at, before)
	}

	raw2, tok2, err := svc.CreateToken(ctx, auth.Operator, acc.ID, "second script", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Authenticate(ctx, raw2); err != nil {
		t.Fatal(err)
	}
	stopped, stop := context.WithCancel(ctx)
	stop()
	svc.RecordTokenUses(stopped, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if lastUsed(tok2.ID) == nil {
		t.Fatal("a use pending when the recorder stopped was not written")
	}
}
