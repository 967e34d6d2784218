package minutes

import (
	"context"
	"errors"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/ballots"
	"github.com/citizen-network/osk/internal/motions"
)

// serviceRecord reads a meeting's motions and ballots from their own
// services, with the caller's rights, so that their access rules apply
// to the minutes too.
type serviceRecord struct {
	motions *motions.Service
	ballots *ballots.Service
}

// NewMeetingRecord returns the MeetingRecord of internal/motions and
// internal/ballots.
func NewMeetingRecord(motionsSvc *motions.Service, ballotsSvc *ballots.Service) MeetingRecord {
	return serviceRecord{motions: motionsSvc, ballots: ballotsSvc}
}

func (r serviceRecord) Motions(ctx context.Context, p auth.Principal, meetingID int64) ([]PrefillMotion, error) {
	all, err := r.motions.All(ctx, p, meetingID)
	if err != nil {
		return nil, err
	}
	out := make([]PrefillMotion, len(all))
	for i, m := range all {
		out[i] = PrefillMotion{
			ID: m.ID, AgendaItemID: m.AgendaItemID, AmendsMotionID: m.AmendsMotionID, Title: m.Title,
			Text: m.Body, Version: m.Version, ProposerMemberID: m.ProposerMemberID, ByBoard: m.ByBoard,
			Majority: motions.MajorityLabel(m.Majority), Status: motions.StatusLabel(m.Status),
		}
	}
	return out, nil
}

func (r serviceRecord) Ballots(ctx context.Context, p auth.Principal, meetingID int64) ([]PrefillBallot, error) {
	all, err := r.motions.All(ctx, p, meetingID)
	if err != nil {
		return nil, err
	}
	var out []PrefillBallot
	for _, m := range all {
		if m.BallotID == nil {
			continue
		}
		rec, err := r.ballots.RecordAs(ctx, p, *m.BallotID)
		if errors.Is(err, ballots.ErrUndecided) {
			b, err := r.ballots.GetAs(ctx, p, *m.BallotID)
			if err != nil {
				return nil, err
			}
			out = append(out, PrefillBallot{ID: b.ID, MotionID: b.MotionID, Secret: b.Secret, Eligible: b.Eligible})
			continue
		}
		if err != nil {
			return nil, err
		}
		res := rec.Result
		pb := PrefillBallot{
			ID: rec.Ballot.ID, MotionID: rec.Ballot.MotionID, Secret: rec.Ballot.Secret, Decided: true,
			Outcome: ballots.OutcomeLabel(string(res.Outcome)), For: res.For, Against: res.Against, Abstain: res.Abstain,
			Cast: res.Cast, Eligible: res.Eligible, QuorumRequired: res.QuorumRequired, QuorumMet: res.QuorumMet,
			TieBrokenByChair: res.TieBrokenByChair, Voters: rec.Voters, RecordHash: rec.RecordHash,
			ChainHead: ChainHead{Seq: rec.ChainHead.Seq, Hash: rec.ChainHead.Hash},
		}
		if res.CastingVote != nil {
			pb.CastingVote = ballots.ChoiceLabel(*res.CastingVote)
		}
		for _, v := range rec.Votes {
			if v.MemberNo > 0 {
				pb.Votes = append(pb.Votes, PrefillVote{MemberNo: v.MemberNo, Choice: ballots.ChoiceLabel(v.Choice)})
			}
		}
		out = append(out, pb)
	}
	return out, nil
}
