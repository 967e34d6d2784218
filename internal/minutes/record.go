package minutes

import (
	"context"
	"errors"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/ballots"
	"github.com/citizen-network/osk/internal/elections"
	"github.com/citizen-network/osk/internal/errs"
	"github.com/citizen-network/osk/internal/motions"
)

// serviceRecord reads a meeting's motions, elections and ballots from
// their own services, with the caller's rights, so that their access
// rules apply to the minutes too.
type serviceRecord struct {
	motions   *motions.Service
	ballots   *ballots.Service
	elections *elections.Service
}

// NewMeetingRecord returns the MeetingRecord of internal/motions,
// internal/ballots and internal/elections.
func NewMeetingRecord(motionsSvc *motions.Service, ballotsSvc *ballots.Service, electionsSvc *elections.Service) MeetingRecord {
	return serviceRecord{motions: motionsSvc, ballots: ballotsSvc, elections: electionsSvc}
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
		pb, _, err := r.ballot(ctx, p, *m.BallotID)
		if err != nil {
			return nil, err
		}
		out = append(out, pb)
	}
	return out, nil
}

func (r serviceRecord) Elections(ctx context.Context, p auth.Principal, meetingID int64) ([]PrefillElection, error) {
	all, err := r.elections.ForMeeting(ctx, p, meetingID)
	if err != nil {
		return nil, err
	}
	out := make([]PrefillElection, len(all))
	for i, e := range all {
		pe := PrefillElection{ID: e.ID, AgendaItemID: e.AgendaItemID, Title: e.Title, Seats: e.Seats,
			Status: elections.StatusLabel(e.Status)}
		for _, c := range e.Candidates {
			pe.Candidates = append(pe.Candidates, PrefillCandidate{ID: c.ID, MemberID: c.MemberID, Name: c.Name, Consented: c.Consented})
		}
		if e.BallotID != nil {
			pb, res, err := r.ballot(ctx, p, *e.BallotID)
			if err != nil {
				return nil, err
			}
			pe.Ballot = &pb
			if res != nil && res.Election != nil {
				pe.Result = electionResult(*res.Election)
			}
		}
		out[i] = pe
	}
	return out, nil
}

func electionResult(er ballots.ElectionResult) *PrefillElectionResult {
	out := &PrefillElectionResult{Cast: er.Cast, Blank: er.Blank, Eligible: er.Eligible, QuorumMet: er.QuorumMet}
	for _, c := range er.Candidates {
		out.Candidates = append(out.Candidates, PrefillCount{CandidateID: c.ID, Name: c.Name, Votes: c.Votes, Elected: c.Elected})
	}
	if er.Lot != nil {
		out.Lot = &PrefillLot{Seed: er.Lot.Seed, Drawn: er.Lot.Drawn}
	}
	return out
}

// ballot reads one ballot as the minutes state it, with its result once
// decided.
func (r serviceRecord) ballot(ctx context.Context, p auth.Principal, id int64) (PrefillBallot, *ballots.Result, error) {
	rec, err := r.ballots.RecordAs(ctx, p, id)
	if errors.Is(err, ballots.ErrUndecided) {
		b, err := r.ballots.GetAs(ctx, p, id)
		if err != nil {
			return PrefillBallot{}, nil, err
		}
		return PrefillBallot{ID: b.ID, MotionID: b.MotionID, ElectionID: b.ElectionID, CandidateIDs: b.CandidateIDs,
			Secret: b.Secret, Eligible: b.Eligible}, nil, nil
	}
	if err != nil {
		return PrefillBallot{}, nil, err
	}
	res := rec.Result
	pb := PrefillBallot{
		ID: rec.Ballot.ID, MotionID: rec.Ballot.MotionID, ElectionID: rec.Ballot.ElectionID, CandidateIDs: rec.Ballot.CandidateIDs,
		Secret: rec.Ballot.Secret, Decided: true,
		For: res.For, Against: res.Against, Abstain: res.Abstain,
		Cast: res.Cast, Eligible: res.Eligible, QuorumRequired: res.QuorumRequired, QuorumMet: res.QuorumMet,
		TieBrokenByChair: res.TieBrokenByChair, Voters: rec.Voters, VotingListHash: rec.Ballot.VotingListHash, RecordHash: rec.RecordHash,
		ChainHead: ChainHead{Seq: rec.ChainHead.Seq, Hash: rec.ChainHead.Hash},
	}
	if res.Election == nil {
		pb.Outcome = ballots.OutcomeLabel(string(res.Outcome))
	}
	if res.CastingVote != nil {
		pb.CastingVote = ballots.ChoiceLabel(*res.CastingVote)
	}
	// Only an open ballot's votes carry member numbers: a secret ballot's
	// choices are never linked to anyone, here as anywhere.
	for _, v := range rec.Votes {
		if v.MemberNo == 0 {
			continue
		}
		pv := PrefillVote{MemberNo: v.MemberNo, Election: v.Election, Candidates: v.Candidates}
		if !v.Election {
			pv.Choice = ballots.ChoiceLabel(v.Choice)
		}
		pb.Votes = append(pb.Votes, pv)
	}
	if pb.List, err = r.votingList(ctx, p, id); err != nil {
		return PrefillBallot{}, nil, err
	}
	return pb, &res, nil
}

// votingList reads the whole voting list of a closed ballot, which the
// meeting's officers may read; for anyone else, the minutes print only
// the member numbers of those who voted.
func (r serviceRecord) votingList(ctx context.Context, p auth.Principal, id int64) ([]PrefillVoter, error) {
	list, err := r.ballots.VotingListAs(ctx, p, id)
	if errors.Is(err, errs.Forbidden) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := make([]PrefillVoter, len(list))
	for i, v := range list {
		out[i] = PrefillVoter{MemberID: v.MemberID, MemberNo: v.MemberNo, CastBy: v.CastBy, Voted: v.Voted}
	}
	return out, nil
}
