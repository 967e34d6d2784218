package auth_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/citizen-network/osk/internal/audit"
	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/clock"
	"github.com/citizen-network/osk/internal/osktest"
)

// Requests that come at once have their tokens, sessions and accounts read
// together; each is answered as its own bearer, and a token revoked or
// unknown, or an account that does not exist, is refused: over HTTP, and
// straight from the service while the group reads run and after they stop.
func TestReads_AnswerEachRequestAsItsOwnBearer(t *testing.T) {
	inst := osktest.Start(t, osktest.Options{})
	ctx := context.Background()
	svc := inst.Server.Auth
	const bearers = 24
	raws := make([]string, bearers)
	ids := make([]int64, bearers)
	for i := range bearers {
		acc, err := svc.CreateAccount(ctx, auth.Operator, fmt.Sprintf("script%d@example.org", i), fmt.Sprintf("Script %d", i))
		if err != nil {
			t.Fatal(err)
		}
		if raws[i], _, err = svc.CreateToken(ctx, auth.Operator, acc.ID, "script", time.Hour); err != nil {
			t.Fatal(err)
		}
		ids[i] = acc.ID
	}
	revoked, tok, err := svc.CreateToken(ctx, auth.Operator, ids[0], "revoked", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	owner, err := svc.Principal(ctx, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.RevokeToken(ctx, owner, tok.ID); err != nil {
		t.Fatal(err)
	}
	unknown := raws[1][:len(raws[1])-4] + "AAAA"
	if unknown == raws[1] {
		unknown = raws[1][:len(raws[1])-4] + "BBBB"
	}

	// want is the account a request with token i is answered as, or 0
	// for a refusal: every sixth request carries the revoked token, every
	// seventh one no token knows.
	raw := func(i int) (string, int64) {
		switch {
		case i%6 == 5:
			return revoked, 0
		case i%7 == 6:
			return unknown, 0
		}
		return raws[i%bearers], ids[i%bearers]
	}
	all := func(t *testing.T, n int, check func(i int, raw string, want int64) error) {
		t.Helper()
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, want := raw(i)
				if err := check(i, r, want); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	}

	t.Run("over HTTP", func(t *testing.T) {
		all(t, 300, func(i int, raw string, want int64) error {
			c := inst.Client(t)
			c.Token = raw
			r := c.Get("/api/v1/me")
			if want == 0 {
				if r.StatusCode != 401 {
					return fmt.Errorf("request %d with a bad token: %d %s", i, r.StatusCode, r.Body)
				}
				return nil
			}
			var me struct {
				Account struct {
					ID int64 `json:"id"`
				} `json:"account"`
			}
			if r.StatusCode != 200 {
				return fmt.Errorf("request %d: %d %s", i, r.StatusCode, r.Body)
			}
			r.JSON(t, &me)
			if me.Account.ID != want {
				return fmt.Errorf("request %d answered as account %d, want %d", i, me.Account.ID, want)
			}
			return nil
		})
	})

	authenticate := func(s *auth.Service) func(i int, raw string, want int64) error {
		return func(i int, raw string, want int64) error {
			p, err := s.Authenticate(ctx, raw)
			switch {
			case want == 0 && !errors.Is(err, auth.ErrBadToken):
				return fmt.Errorf("check %d of a bad token: %+v, %v", i, p, err)
			case want != 0 && (err != nil || p.AccountID != want || !p.ViaToken):
				return fmt.Errorf("check %d: %+v, %v; want account %d", i, p, err, want)
			}
			return nil
		}
	}
	principal := func(s *auth.Service) func(i int, raw string, want int64) error {
		return func(i int, _ string, want int64) error {
			id := want
			if want == 0 {
				id = ids[bearers-1] + 1000 + int64(i)
			}
			p, err := s.Principal(ctx, id)
			switch {
			case want == 0 && !errors.Is(err, auth.ErrNoAccount):
				return fmt.Errorf("principal %d of no account: %+v, %v", i, p, err)
			case want != 0 && (err != nil || p.AccountID != want || p.ViaToken):
				return fmt.Errorf("principal %d: %+v, %v; want account %d", i, p, err, want)
			}
			return nil
		}
	}
	t.Run("while the group reads run and after they stop", func(t *testing.T) {
		own := auth.NewService(inst.DB.DB, audit.New(clock.Real{}), clock.Real{})
		running, stop := context.WithCancel(ctx)
		stopped := make(chan struct{})
		go func() {
			own.RunReads(running)
			close(stopped)
		}()
		all(t, 500, authenticate(own))
		all(t, 500, principal(own))
		stop()
		<-stopped
		all(t, 50, authenticate(own))
		all(t, 50, principal(own))
	})

	t.Run("signed in, over HTTP", func(t *testing.T) {
		const people = 12
		clients := make([]*osktest.Client, people)
		for i := range people {
			clients[i] = inst.Client(t)
			clients[i].SignIn(fmt.Sprintf("person%d@example.org", i), fmt.Sprintf("Person %d", i))
		}
		all(t, people, func(i int, _ string, _ int64) error {
			for range 10 {
				var me struct {
					Account struct {
						Email string `json:"email"`
					} `json:"account"`
				}
				r := clients[i].Get("/api/v1/me")
				if r.StatusCode != 200 {
					return fmt.Errorf("person %d: %d %s", i, r.StatusCode, r.Body)
				}
				r.JSON(t, &me)
				if me.Account.Email != fmt.Sprintf("person%d@example.org", i) {
					return fmt.Errorf("person %d answered as %q", i, me.Account.Email)
				}
			}
			return nil
		})
	})
}
