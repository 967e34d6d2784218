package members

import (
	"context"
	"slices"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/errs"
)

// Caller is a signed-in principal with the active members their account
// acts for, as read once at the start of a request: the rights of
// meetings, motions and elections (to see, attend, propose, second,
// nominate) follow from these memberships, not from site roles.
//
// Only CallerOf makes one, so that the memberships are always the
// account's own active ones; the zero Caller acts for no member.
type Caller struct {
	p      auth.Principal
	acting []Member
}

// CallerOf returns the signed-in principal with the active members their
// account acts for; an anonymous principal is refused with
// errs.Unauthenticated.
func (s *Service) CallerOf(ctx context.Context, p auth.Principal) (Caller, error) {
	if err := p.RequireSignedIn(); err != nil {
		return Caller{}, err
	}
	acting, err := s.ActiveActingFor(ctx, p.AccountID)
	if err != nil {
		return Caller{}, err
	}
	return Caller{p: p, acting: acting}, nil
}

// Principal is who is asking.
func (c Caller) Principal() auth.Principal { return c.p }

// Acting returns the active members the caller acts for, oldest first. It
// is a copy: a caller's memberships cannot change under the rules that
// read them.
func (c Caller) Acting() []Member { return slices.Clone(c.acting) }

// IsMember reports whether the caller acts for any active member, their
// own or an organisation's: that is what gives a member's rights.
func (c Caller) IsMember() bool { return len(c.acting) > 0 }

// Board reports whether the caller is on the board.
func (c Caller) Board() bool { return c.p.Has(auth.RoleBoard) }

// ActsFor returns the active member with this id if the caller acts for
// it.
func (c Caller) ActsFor(id int64) (Member, bool) {
	for _, m := range c.acting {
		if m.ID == id {
			return m, true
		}
	}
	return Member{}, false
}

// Own returns the member the caller acts as when they name none: their
// individual membership, or else the only member they act for. A
// representative of several organisations and no member themself has no
// such default.
func (c Caller) Own() (Member, bool) {
	for _, m := range c.acting {
		if m.Kind == KindIndividual {
			return m, true
		}
	}
	if len(c.acting) == 1 {
		return c.acting[0], true
	}
	return Member{}, false
}

// ActingAs picks the active member the caller acts as to do what (words
// such as "second motions" that finish the refusal): memberID, which they
// must act for, or else Own. It refuses with errs.Forbidden someone who
// acts for no active member or names one they do not act for, and asks
// with a validation error on "member_id" someone who acts for several
// members and has no default among them.
func (c Caller) ActingAs(memberID *int64, what string) (Member, error) {
	if memberID != nil {
		if m, ok := c.ActsFor(*memberID); ok {
			return m, nil
		}
		return Member{}, errs.Wrap(errs.Forbidden, "You can %s only for yourself or an organisation you represent, while its membership is active.", what)
	}
	if m, ok := c.Own(); ok {
		return m, nil
	}
	if len(c.acting) > 1 {
		var v errs.Validation
		v.Add("member_id", "You act for several members: say which one.")
		return Member{}, v.Err()
	}
	return Member{}, errs.Wrap(errs.Forbidden, "Only active members can %s.", what)
}
