package ballots

import (
	"context"
	"fmt"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/errs"
)

// ErrListNotClosed is returned for the voting list of a ballot still open.
var ErrListNotClosed = fmt.Errorf("ballots: %w", errs.Wrap(errs.Conflict,
	"The voting list, with who voted, is given once the ballot is closed."))

// VotingListAs returns the voting list of a closed ballot, in order of
// member number: each member on it, who cast their vote, and whether they
// voted. The minutes print it (SPEC.md, "Minutes and the archive"), so the
// meeting's officers read it, as do auditors; others who may see the
// ballot read the member numbers of those who voted on its record.
//
// The list names nobody's choice, in a secret ballot or not: whether a
// member voted is on the public record already. It is given only once the
// ballot is closed, so that nobody follows who votes while voting lasts.
func (s *Service) VotingListAs(ctx context.Context, p auth.Principal, id int64) ([]Voter, error) {
	v, err := s.viewerOf(ctx, p)
	if err != nil {
		return nil, err
	}
	b, m, err := s.visible(ctx, v, id)
	if err != nil {
		return nil, err
	}
	if !m.IsOfficer(p.AccountID) && !p.Has(auth.RoleAuditor) {
		return nil, errs.Wrap(errs.Forbidden, "Only the meeting's chair, secretary and minute checkers, and auditors, read the whole voting list.")
	}
	if b.Status != StatusClosed {
		return nil, ErrListNotClosed
	}
	return votersOf(ctx, s.db, id)
}
