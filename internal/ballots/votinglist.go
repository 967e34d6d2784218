package ballots

import (
	"context"
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/citizen-network/osk/internal/audit"
	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/errs"
	"github.com/citizen-network/osk/internal/meetings"
)

// freezeVotingList writes the voting list of ballot id, which tx has just
// opened, and returns its size and hash (SPEC.md, "Ballots"): the members
// active on the record date and still active and, for a ballot of the
// members represented, represented now (reps, from the meeting), each
// with who may cast their vote.
func freezeVotingList(ctx context.Context, tx *sqlx.Tx, id int64, recordDate time.Time, electorate string, reps []meetings.Representation) (frozenList, error) {
	var list frozenList
	err := bulkWork(ctx, tx, func() error {
		var err error
		if electorate == ElectorateAllMembers {
			list, err = insertElectors(ctx, tx, id, recordDate)
		} else {
			list, err = insertRepresented(ctx, tx, id, recordDate, reps)
		}
		return err
	})
	return list, err
}

// listEntry is one line of the voting list as it is hashed and shown to
// auditors.
type listEntry struct {
	MemberNo int    `json:"member_no"`
	CastBy   string `json:"cast_by"`
}

func listEntries(list []Voter) []listEntry {
	out := make([]listEntry, len(list))
	for i, v := range list {
		out[i] = listEntry{MemberNo: v.MemberNo, CastBy: v.CastBy}
	}
	return out
}

// votingListHash is the SHA-256 of the canonical JSON of the voting list:
// [{"cast_by","member_no"}, ...] in order of member number. The opening
// computes the same in the database (listHashSQL).
func votingListHash(list []Voter) ([]byte, error) {
	b, err := audit.Marshal(listEntries(list))
	if err != nil {
		return nil, fmt.Errorf("ballots: voting list: %w", err)
	}
	sum := sha256.Sum256(b)
	return sum[:], nil
}

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
