package ballots

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/citizen-network/osk/internal/audit"
	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/clock"
	"github.com/citizen-network/osk/internal/db"
	"github.com/citizen-network/osk/internal/errs"
	"github.com/citizen-network/osk/internal/live"
	"github.com/citizen-network/osk/internal/meetings"
	"github.com/citizen-network/osk/internal/members"
	"github.com/citizen-network/osk/internal/rules"
)

// DecidedFunc reacts to a ballot's final outcome inside the transaction
// that decides it, so that what was voted on changes with the result or
// not at all.
type DecidedFunc func(ctx context.Context, tx *sqlx.Tx, b Ballot, r Result) error

// DescribeFunc says what a ballot of its kind is about, for its pages.
type DescribeFunc func(ctx context.Context, subjectID int64) (Subject, error)

// Service holds the rules of ballots.
type Service struct {
	db       *sqlx.DB
	audit    *audit.Log
	clock    clock.Clock
	rules    *rules.Service
	members  *members.Service
	meetings *meetings.Service
	logger   *slog.Logger

	mu        sync.RWMutex
	decided   map[string]DecidedFunc
	describes map[string]DescribeFunc
	names     NamesFunc

	// The group commit of votes (batch.go).
	batching atomic.Bool
	jobs     chan *job
	stopped  chan struct{}
}

// NewService returns the ballots service.
func NewService(conn *sqlx.DB, log *audit.Log, clk clock.Clock, rulesSvc *rules.Service, membersSvc *members.Service,
	meetingsSvc *meetings.Service, logger *slog.Logger) *Service {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Service{db: conn, audit: log, clock: clk, rules: rulesSvc, members: membersSvc, meetings: meetingsSvc,
		logger: logger, decided: map[string]DecidedFunc{}, describes: map[string]DescribeFunc{},
		jobs: make(chan *job), stopped: make(chan struct{})}
}

// OnDecided registers what happens when a ballot of the kind is decided:
// motions record whether the motion carried. Register at wiring time; a
// second registration for a kind replaces the first.
func (s *Service) OnDecided(kind string, fn DecidedFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.decided[kind] = fn
}

// OnDescribe registers how the pages name the subject of a ballot of the
// kind.
func (s *Service) OnDescribe(kind string, fn DescribeFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.describes[kind] = fn
}

// NamesFunc gives the names of an election's candidates, by id, for its
// result; q is the transaction that closes the ballot.
type NamesFunc func(ctx context.Context, q sqlx.QueryerContext, electionID int64, candidateIDs []int64) (map[int64]string, error)

// OnNames registers how the candidates of an election are named on its
// result.
func (s *Service) OnNames(fn NamesFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.names = fn
}

func (s *Service) namesHook() NamesFunc {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.names
}

func (s *Service) decidedHook(kind string) DecidedFunc {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.decided[kind]
}

// Describe says what the ballot is about.
func (s *Service) Describe(ctx context.Context, b Ballot) (Subject, error) {
	s.mu.RLock()
	fn := s.describes[b.Kind]
	s.mu.RUnlock()
	if fn == nil {
		switch b.Kind {
		case KindElection:
			return Subject{Title: fmt.Sprintf("Election %d", b.SubjectID)}, nil
		default:
			return Subject{Title: fmt.Sprintf("Motion %d", b.SubjectID)}, nil
		}
	}
	return fn(ctx, b.SubjectID)
}

// Now is the time of every rule of ballots.
func (s *Service) Now() time.Time { return s.clock.Now() }

// viewer is a principal with what decides which ballots they see.
type viewer struct {
	p      auth.Principal
	member bool
}

func (s *Service) viewerOf(ctx context.Context, p auth.Principal) (viewer, error) {
	if err := p.RequireSignedIn(); err != nil {
		return viewer{}, err
	}
	v := viewer{p: p}
	if p.HasAny(auth.RoleBoard, auth.RoleAuditor) {
		return v, nil
	}
	acting, err := s.members.ActiveActingFor(ctx, p.AccountID)
	if err != nil {
		return viewer{}, err
	}
	v.member = len(acting) > 0
	return v, nil
}

// sees reports whether the viewer may see a ballot of the meeting:
// members, the board, auditors, the meeting's officers, and whoever casts
// a vote in it.
func (s *Service) sees(ctx context.Context, q sqlx.QueryerContext, v viewer, b Ballot, m meetings.Meeting) (bool, error) {
	if v.member || v.p.HasAny(auth.RoleBoard, auth.RoleAuditor) || m.IsOfficer(v.p.AccountID) {
		return true, nil
	}
	return onList(ctx, q, b.ID, v.p.AccountID)
}

// visible loads a ballot the viewer may see, with its meeting, outside
// any transaction.
func (s *Service) visible(ctx context.Context, v viewer, id int64) (Ballot, meetings.Meeting, error) {
	b, err := getBallot(ctx, s.db, id, noLock)
	if err != nil {
		return Ballot{}, meetings.Meeting{}, err
	}
	m, err := s.meetings.Get(ctx, b.MeetingID)
	if err != nil {
		return Ballot{}, meetings.Meeting{}, err
	}
	ok, err := s.sees(ctx, s.db, v, b, m)
	if err != nil {
		return Ballot{}, meetings.Meeting{}, err
	}
	if !ok {
		return Ballot{}, meetings.Meeting{}, ErrNotFound
	}
	return b, m, nil
}

// Get returns a ballot without any access check, for other domains.
func (s *Service) Get(ctx context.Context, id int64) (Ballot, error) {
	return getBallot(ctx, s.db, id, noLock)
}

// GetAs returns a ballot the principal may see.
func (s *Service) GetAs(ctx context.Context, p auth.Principal, id int64) (Ballot, error) {
	v, err := s.viewerOf(ctx, p)
	if err != nil {
		return Ballot{}, err
	}
	b, _, err := s.visible(ctx, v, id)
	return b, err
}

// View is a ballot as its page shows it to one person.
type View struct {
	Ballot  Ballot
	Meeting meetings.Meeting
	Subject Subject
	// Mine lists the members whose vote the viewer casts, with whether
	// each has voted.
	Mine []MyVoter
	// Chair is true when the viewer chairs the meeting.
	Chair bool
	// ClosingPassed is true once the closing time has come.
	ClosingPassed bool
}

// MyVoter is a member whose vote the viewer casts.
type MyVoter struct {
	Voter
	Name string
}

// ViewAs returns what the ballot's page shows the principal.
func (s *Service) ViewAs(ctx context.Context, p auth.Principal, id int64) (View, error) {
	v, err := s.viewerOf(ctx, p)
	if err != nil {
		return View{}, err
	}
	b, m, err := s.visible(ctx, v, id)
	if err != nil {
		return View{}, err
	}
	subj, err := s.Describe(ctx, b)
	if err != nil {
		return View{}, err
	}
	mine, err := votersFor(ctx, s.db, id, p.AccountID)
	if err != nil {
		return View{}, err
	}
	ids := make([]int64, len(mine))
	for i, vt := range mine {
		ids[i] = vt.MemberID
	}
	names, err := s.members.SummariesOf(ctx, ids)
	if err != nil {
		return View{}, err
	}
	out := View{Ballot: b, Meeting: m, Subject: subj, Chair: m.IsChair(p.AccountID), ClosingPassed: b.ClosingPassed(s.clock.Now())}
	for _, vt := range mine {
		out.Mine = append(out.Mine, MyVoter{Voter: vt, Name: names[vt.MemberID].Name})
	}
	return out, nil
}

// Open opens a ballot inside tx, the transaction of the motion or the
// election being put to the vote, and freezes its voting list (SPEC.md,
// "Ballots"):
//
//   - electorate "represented": the chair opens it while the meeting is in
//     session and quorate; the list is the members active on the record
//     date, still active, and represented at this moment (present, or by a
//     present proxy holder).
//   - electorate "all_members" (where the rules allow advance voting): the
//     board opens it on a convened meeting with a closing time during the
//     session, or the chair in session while quorate; the list is every
//     member active on the record date and still active, each voting
//     themself (or through their organisation's representative).
//
// The meeting stays locked FOR SHARE until tx ends, so that nobody arrives
// or leaves between the quorum count and the freezing of the list. The
// list is selected, written and hashed inside the database (store.go).
// Open may have written to tx when it fails, even for nobody being able
// to vote: tx must then be rolled back.
func (s *Service) Open(ctx context.Context, tx *sqlx.Tx, p auth.Principal, spec OpenSpec) (Ballot, error) {
	if err := p.RequireSignedIn(); err != nil {
		return Ballot{}, err
	}
	if spec.Electorate == "" {
		spec.Electorate = ElectorateRepresented
	}
	if err := checkSpec(spec); err != nil {
		return Ballot{}, err
	}
	r, err := s.rules.Current(ctx)
	if err != nil {
		return Ballot{}, err
	}
	m, err := s.meetings.Lock(ctx, tx, spec.MeetingID)
	if err != nil {
		return Ballot{}, err
	}
	now := s.clock.Now().Truncate(time.Microsecond)
	if err := mayOpen(p, m, r, spec, now); err != nil {
		return Ballot{}, err
	}
	if m.Status == meetings.StatusInSession {
		q, err := s.meetings.Quorum(ctx, tx, m.ID)
		if err != nil {
			return Ballot{}, err
		}
		if !q.Met {
			return Ballot{}, errs.Wrap(errs.Conflict, "The meeting is not quorate: %d %s represented and %d %s needed. A ballot cannot be opened.",
				q.Represented, plural(q.Represented, "member is", "members are"), q.Required, plural(q.Required, "is", "are"))
		}
	}
	if m.RecordDate == nil {
		return Ballot{}, errs.Wrap(errs.Conflict, "The meeting has no record date yet.")
	}
	var reps []meetings.Representation
	if spec.Electorate == ElectorateRepresented {
		if reps, err = s.meetings.Represented(ctx, tx, m.ID); err != nil {
			return Ballot{}, err
		}
	}
	// The ballot's row comes first, for the list points at it; the list's
	// size and hash, known once it is written, are set then.
	b := Ballot{
		MeetingID: m.ID, Kind: spec.Kind, SubjectID: spec.SubjectID, Majority: spec.Majority, Seats: spec.Seats,
		CandidateIDs: spec.CandidateIDs, Secret: spec.Secret, Electorate: spec.Electorate, Status: StatusOpen,
		RecordDate: m.RecordDate.UTC(), MinVotes: r.BallotMinVotes, VotingListHash: make([]byte, sha256.Size),
		OpenedAt: now, OpenedBy: p.Actor(), ClosesAt: utc(spec.ClosesAt),
	}
	id, err := insertBallot(ctx, tx, b)
	if err != nil {
		if db.IsUniqueViolation(err) {
			return Ballot{}, errs.Wrap(errs.Conflict, "A ballot on this question is already open.")
		}
		return Ballot{}, err
	}
	list, err := freezeVotingList(ctx, tx, id, *m.RecordDate, spec.Electorate, reps)
	if err != nil {
		return Ballot{}, err
	}
	if list.Eligible == 0 {
		return Ballot{}, errs.Wrap(errs.Conflict, "Nobody could vote: no member active on the record date is represented at the meeting.")
	}
	if err := setVotingList(ctx, tx, id, list); err != nil {
		return Ballot{}, err
	}
	if err := insertTurnout(ctx, tx, id, now); err != nil {
		return Ballot{}, err
	}
	if b, err = getBallot(ctx, tx, id, noLock); err != nil {
		return Ballot{}, err
	}
	if err := s.publish(ctx, tx, b, "opened", now); err != nil {
		return Ballot{}, err
	}
	payload := map[string]any{
		"meeting_id": m.ID, "kind": b.Kind, "subject_id": b.SubjectID, "secret": b.Secret, "electorate": b.Electorate,
		"record_date": audit.FormatTime(b.RecordDate), "min_votes": b.MinVotes, "eligible": b.Eligible,
		"voting_list_hash": hex.EncodeToString(list.Hash), "closes_at": nil,
	}
	if b.ClosesAt != nil {
		payload["closes_at"] = audit.FormatTime(*b.ClosesAt)
	}
	if b.Kind == KindMotion {
		payload["majority"] = b.Majority
	} else {
		payload["seats"], payload["candidate_ids"] = b.Seats, b.CandidateIDs
	}
	if _, err := s.audit.Append(ctx, tx, audit.Event{
		ActorAccountID: p.Actor(), Action: "ballot.opened", Subject: subject(id), Payload: payload,
	}); err != nil {
		return Ballot{}, err
	}
	return b, nil
}

// checkSpec checks the question.
func checkSpec(spec OpenSpec) error {
	var v errs.Validation
	if spec.MeetingID <= 0 {
		v.Add("meeting_id", "Name the meeting.")
	}
	if spec.SubjectID <= 0 {
		v.Add("subject_id", "Name the motion or the election.")
	}
	switch spec.Kind {
	case KindMotion:
		if !slices.Contains(Majorities, spec.Majority) {
			v.Add("majority", "Choose the majority: more than half (simple), two thirds (two_thirds), three quarters (three_quarters) or every vote (unanimous).")
		}
	case KindElection:
		if spec.Seats < 1 {
			v.Add("seats", "An election fills at least one seat.")
		}
		if len(spec.CandidateIDs) == 0 {
			v.Add("candidate_ids", "An election needs at least one candidate who has consented.")
		}
		seen := map[int64]bool{}
		for _, id := range spec.CandidateIDs {
			if id <= 0 || seen[id] {
				v.Add("candidate_ids", "List each candidate once.")
				break
			}
			seen[id] = true
		}
	default:
		v.Add("kind", "Choose motion or election.")
	}
	if spec.Electorate != ElectorateRepresented && spec.Electorate != ElectorateAllMembers {
		v.Add("electorate", "Choose represented or all_members.")
	}
	return v.Err()
}

// mayOpen checks who opens the ballot, when, and its closing time.
func mayOpen(p auth.Principal, m meetings.Meeting, r rules.Rules, spec OpenSpec, now time.Time) error {
	var v errs.Validation
	if spec.ClosesAt != nil && !spec.ClosesAt.After(now) {
		v.Add("closes_at", "Choose a closing time in the future.")
	}
	switch {
	case spec.Electorate == ElectorateAllMembers && !r.AdvanceVoting:
		return errs.Wrap(errs.Conflict, "The co-op's rules do not allow advance or electronic voting, so a ballot is for the members represented at the meeting.")
	case m.Status == meetings.StatusInSession:
		if !m.IsChair(p.AccountID) {
			return errs.Wrap(errs.Forbidden, "Only the meeting's chair opens a ballot.")
		}
		if p.Has(auth.RoleAuditor) {
			return errs.Wrap(errs.Forbidden, "An auditor reads everything and changes nothing, so does not open a ballot, even as the chair named before.")
		}
	case m.Status == meetings.StatusConvened && spec.Electorate == ElectorateAllMembers:
		if err := p.RequireAny(auth.RoleBoard); err != nil {
			return errs.Wrap(errs.Forbidden, "Only the board opens advance voting before the session.")
		}
		switch {
		case spec.ClosesAt == nil:
			v.Add("closes_at", "Advance voting needs a closing time during the session.")
		case spec.ClosesAt.Before(m.StartsAt) || spec.ClosesAt.After(m.EndsAt):
			v.Add("closes_at", "Advance voting must close during the session, between its start and its end.")
		}
	case m.Status == meetings.StatusConvened:
		return errs.Wrap(errs.Conflict, "The meeting is not in session yet: a ballot can be opened once the chair opens the session.")
	case m.Status == meetings.StatusDraft:
		return errs.Wrap(errs.Conflict, "The meeting has not been convened: no ballot can be opened.")
	default:
		return errs.Wrap(errs.Conflict, "The meeting has ended or was cancelled: no ballot can be opened.")
	}
	return v.Err()
}

// Event is the data of a "ballot" event on the meeting's live topic.
type Event struct {
	BallotID int64  `json:"ballot_id"`
	Kind     string `json:"kind"`
	// SubjectID is the motion's or the election's id.
	SubjectID int64 `json:"subject_id"`
	// Change is "opened", "turnout", "closed" or "decided".
	Change   string  `json:"change"`
	Status   string  `json:"status"`
	Eligible int     `json:"eligible"`
	Voted    int     `json:"voted"`
	Result   *Result `json:"result,omitempty"`
	// Summary says the same in words, for the page to announce.
	Summary string `json:"summary"`
}

func (s *Service) publish(ctx context.Context, tx *sqlx.Tx, b Ballot, change string, now time.Time) error {
	_, err := live.Publish(ctx, tx, now, meetings.Topic(b.MeetingID), "ballot", Event{
		BallotID: b.ID, Kind: b.Kind, SubjectID: b.SubjectID, Change: change, Status: b.Status,
		Eligible: b.Eligible, Voted: b.Voted, Result: b.Result, Summary: summary(b, change),
	})
	return err
}

// summary says what happened to the ballot, in words.
func summary(b Ballot, change string) string {
	turnout := strconv.Itoa(b.Voted) + " of " + strconv.Itoa(b.Eligible) + " have voted."
	switch change {
	case "opened":
		return "A ballot is open. " + strconv.Itoa(b.Eligible) + plural(b.Eligible, " member is", " members are") + " on its voting list."
	case "turnout":
		return turnout
	}
	if b.Result == nil {
		return "The ballot is closed."
	}
	if b.Result.AwaitingCastingVote {
		return "The ballot is closed on a tie: the chair's casting vote decides."
	}
	if e := b.Result.Election; e != nil {
		if !e.QuorumMet {
			return "The election is decided: " + OutcomeLabel(OutcomeNoQuorum) + "."
		}
		return "The election is decided: " + strconv.Itoa(len(e.Elected())) + " of " + strconv.Itoa(b.Seats) + plural(b.Seats, " seat is", " seats are") + " filled."
	}
	return "The ballot is decided: " + OutcomeLabel(string(b.Result.Outcome)) + "."
}

// OutcomeLabel says an outcome in words.
func OutcomeLabel(outcome string) string {
	switch outcome {
	case OutcomeCarried:
		return "carried"
	case OutcomeFailed:
		return "not carried"
	case OutcomeNoQuorum:
		return "not decided: too few votes were cast for the ballot quorum"
	}
	return "waiting for the chair's casting vote"
}
