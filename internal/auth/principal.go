// Package auth owns accounts, their provider identities, site roles,
// personal access tokens and sessions: who is asking, and what their site
// roles let them do. Membership is not its business: internal/members
// decides who is a member.
package auth

import (
	"slices"

	"github.com/gofiber/fiber/v2"

	"github.com/citizen-network/osk/internal/errs"
)

// Site roles (SPEC.md, "People, accounts and roles").
const (
	RoleAdmin   = "admin"   // roles and the co-op's rules
	RoleBoard   = "board"   // members and meetings
	RoleAuditor = "auditor" // reads everything, changes nothing
)

// AuditorIndependent names the schema's rule (migration 00016) that an
// account holding the auditor role acts for no member or applicant, which
// both this package and internal/members recognise in a refused write.
const AuditorIndependent = "auditor_independent"

// Roles lists the site roles in the order pages show them.
var Roles = []string{RoleAdmin, RoleBoard, RoleAuditor}

// ValidRole reports whether role is a site role.
func ValidRole(role string) bool { return slices.Contains(Roles, role) }

// Principal is who is asking: an account signed in through a session or a
// personal access token, or nobody (the zero Principal).
type Principal struct {
	AccountID int64
	Email     string
	Name      string
	Roles     []string
	// ViaToken is true for requests authenticated by a personal access
	// token rather than a browser session.
	ViaToken bool
	// operator marks the server's shell; see Operator.
	operator bool
}

// Actor is the account an audit event names as having acted: nil for the
// operator on the server's shell and for Osk itself.
func (p Principal) Actor() *int64 {
	if p.AccountID == 0 {
		return nil
	}
	id := p.AccountID
	return &id
}

// SignedIn reports whether the principal is an account.
func (p Principal) SignedIn() bool { return p.AccountID != 0 }

// Has reports whether the principal holds the site role.
func (p Principal) Has(role string) bool { return slices.Contains(p.Roles, role) }

// HasAny reports whether the principal holds at least one of the roles.
func (p Principal) HasAny(roles ...string) bool {
	for _, r := range roles {
		if p.Has(r) {
			return true
		}
	}
	return false
}

// RequireSignedIn returns errs.Unauthenticated for nobody.
func (p Principal) RequireSignedIn() error {
	if !p.SignedIn() {
		return errs.Wrap(errs.Unauthenticated, "Please sign in first.")
	}
	return nil
}

// RequireAny returns nil when the principal holds one of the roles,
// errs.Unauthenticated for nobody and errs.Forbidden otherwise. Domain
// services call it before doing anything, whichever door the request came
// through.
func (p Principal) RequireAny(roles ...string) error {
	if err := p.RequireSignedIn(); err != nil {
		return err
	}
	if !p.HasAny(roles...) {
		return errs.Wrap(errs.Forbidden, "This needs the role of %s.", joinOr(roles))
	}
	return nil
}

func joinOr(roles []string) string {
	switch len(roles) {
	case 0:
		return "nobody"
	case 1:
		return roles[0]
	}
	out := ""
	for i, r := range roles {
		switch {
		case i == 0:
			out = r
		case i == len(roles)-1:
			out += " or " + r
		default:
			out += ", " + r
		}
	}
	return out
}

const localPrincipal = "osk.principal"

// PrincipalOf returns who made the request; the middleware of this package
// puts it there.
func PrincipalOf(c *fiber.Ctx) Principal {
	p, _ := c.Locals(localPrincipal).(Principal)
	return p
}
