package elections

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/citizen-network/osk/internal/audit"
	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/ballots"
	"github.com/citizen-network/osk/internal/clock"
	"github.com/citizen-network/osk/internal/db"
	"github.com/citizen-network/osk/internal/errs"
	"github.com/citizen-network/osk/internal/mail"
	"github.com/citizen-network/osk/internal/meetings"
	"github.com/citizen-network/osk/internal/members"
)

// Ballots opens the ballots on elections: internal/ballots, whose Open
// checks the session and its quorum and freezes the voting list. Open runs
// inside the election's transaction, so that the election is "voting"
// exactly when its ballot exists. Get reads a ballot with its candidates
// and its result, for the page of an election put to the vote.
type Ballots interface {
	Open(ctx context.Context, tx *sqlx.Tx, p auth.Principal, spec ballots.OpenSpec) (ballots.Ballot, error)
	Get(ctx context.Context, id int64) (ballots.Ballot, error)
}

// Config holds what the service needs from outside the database.
type Config struct {
	// BaseURL is where Osk is served, for the links in emails.
	BaseURL string
}

// Service keeps the elections.
type Service struct {
	db       *sqlx.DB
	audit    *audit.Log
	clock    clock.Clock
	members  *members.Service
	meetings *meetings.Service
	ballots  Ballots
	cfg      Config
}

// NewService returns the elections service; ballots opens the ballots on
// elections.
func NewService(conn *sqlx.DB, log *audit.Log, clk clock.Clock, membersSvc *members.Service, meetingsSvc *meetings.Service, ballots Ballots, cfg Config) *Service {
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	return &Service{db: conn, audit: log, clock: clk, members: membersSvc, meetings: meetingsSvc, ballots: ballots, cfg: cfg}
}

// actsFor reports whether the caller acts for the active member: only
// the nominee, through whoever acts for them, consents to stand.
func actsFor(c members.Caller, id int64) bool {
	_, ok := c.ActsFor(id)
	return ok
}

// refuseFinished refuses any change to the elections of a closed or
// cancelled meeting.
func refuseFinished(m meetings.Meeting) error {
	switch m.Status {
	case meetings.StatusClosed:
		return errs.Wrap(errs.Conflict, "The meeting is closed: its elections cannot change any more.")
	case meetings.StatusCancelled:
		return errs.Wrap(errs.Conflict, "The meeting was cancelled: its elections cannot change any more.")
	}
	return nil
}

// NewElection is an election the board adds to a meeting.
type NewElection struct {
	Title              string
	Seats              int
	AgendaItemID       *int64
	NominationsCloseAt *time.Time
}

// MeetingForNewElection returns a meeting the principal may add an
// election to: only the board does.
func (s *Service) MeetingForNewElection(ctx context.Context, p auth.Principal, meetingID int64) (meetings.Meeting, error) {
	c, err := s.members.CallerOf(ctx, p)
	if err != nil {
		return meetings.Meeting{}, err
	}
	m, err := s.meetings.Get(ctx, meetingID)
	if err != nil {
		return meetings.Meeting{}, err
	}
	if !m.VisibleTo(c) {
		return meetings.Meeting{}, meetings.ErrNotFound
	}
	if !c.Board() {
		return meetings.Meeting{}, errs.Wrap(errs.Forbidden, "Only the board adds elections to a meeting.")
	}
	return m, nil
}

// checkNew adds to v what is wrong with an election for meeting m, and
// returns it tidied: the title trimmed, the closing time in UTC.
func checkNew(v *errs.Validation, m meetings.Meeting, in NewElection, now time.Time) NewElection {
	in.Title = strings.TrimSpace(in.Title)
	checkLine(v, "title", in.Title, MaxTitle, "Give a title of 1 to 200 characters.")
	if in.Seats < 1 || in.Seats > MaxSeats {
		v.Add("seats", "Give the number of seats, from 1 to 100.")
	}
	if in.AgendaItemID != nil && !slices.ContainsFunc(m.Agenda, func(it meetings.AgendaItem) bool { return it.ID == *in.AgendaItemID }) {
		v.Add("agenda_item_id", "Choose an item on this meeting's agenda.")
	}
	in.NominationsCloseAt = checkCloseAt(v, in.NominationsCloseAt, now)
	return in
}

// checkCloseAt adds to v what is wrong with a time for nominations to
// close, and returns it in UTC to the microsecond, as the database keeps
// it; nil is no set time.
func checkCloseAt(v *errs.Validation, at *time.Time, now time.Time) *time.Time {
	if at == nil {
		return nil
	}
	t := at.UTC().Truncate(time.Microsecond)
	switch {
	case !clock.Representable(t):
		v.Add("nominations_close_at", "Choose a time between the years 1900 and 9998.")
	case !t.After(now):
		v.Add("nominations_close_at", "Choose a time in the future for nominations to close.")
	}
	return &t
}

// checkLine adds to v what is wrong with a value read on one line, such as
// a title or a name: it has 1 to max characters (length says so
// otherwise), in valid UTF-8, and no control character, which PostgreSQL
// refuses (NUL) or a ballot cannot show.
func checkLine(v *errs.Validation, field, s string, max int, length string) {
	switch {
	case s == "" || utf8.RuneCountInString(s) > max:
		v.Add(field, "%s", length)
	case !utf8.ValidString(s) || errs.HasControl(s, false):
		v.Add(field, "Write it on one line, without special characters.")
	}
}

// checkText is checkLine for a text of several lines, which may be empty:
// line breaks and tabs are its own.
func checkText(v *errs.Validation, field, s string, max int, length string) {
	switch {
	case utf8.RuneCountInString(s) > max:
		v.Add(field, "%s", length)
	case !utf8.ValidString(s) || errs.HasControl(s, true):
		v.Add(field, "Remove the special characters from this text.")
	}
}

// sameName reports whether two candidates' names read alike on a ballot,
// where case and spacing tell nobody apart.
func sameName(a, b string) bool { return strings.EqualFold(oneLine(a), oneLine(b)) }

// Create adds an election to a meeting. Only the board does.
func (s *Service) Create(ctx context.Context, p auth.Principal, meetingID int64, in NewElection) (Election, error) {
	m, err := s.MeetingForNewElection(ctx, p, meetingID)
	if err != nil {
		return Election{}, err
	}
	now := s.clock.Now().Truncate(time.Microsecond)
	var v errs.Validation
	in = checkNew(&v, m, in, now)
	if err := v.Err(); err != nil {
		return Election{}, err
	}
	var out Election
	err = db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		locked, err := s.meetings.Lock(ctx, tx, meetingID)
		if err != nil {
			return err
		}
		if err := refuseFinished(locked); err != nil {
			return err
		}
		e := Election{
			MeetingID: meetingID, AgendaItemID: in.AgendaItemID, Title: in.Title, Seats: in.Seats,
			Method: MethodPlurality, NominationsCloseAt: in.NominationsCloseAt, Status: StatusNominating,
			CreatedAt: now, Candidates: []Candidate{},
		}
		if e.ID, err = insertElection(ctx, tx, e, p.Actor()); err != nil {
			return err
		}
		payload := map[string]any{"meeting_id": meetingID, "agenda_item_id": in.AgendaItemID, "seats": in.Seats,
			"method": MethodPlurality, "nominations_close_at": nil}
		if in.NominationsCloseAt != nil {
			payload["nominations_close_at"] = audit.FormatTime(*in.NominationsCloseAt)
		}
		if _, err := s.audit.Append(ctx, tx, audit.Event{ActorAccountID: p.Actor(), Action: "election.created",
			Subject: subject(e.ID), Payload: payload}); err != nil {
			return err
		}
		out = e
		return nil
	})
	return out, err
}

// GetAs returns an election the principal may see.
func (s *Service) GetAs(ctx context.Context, p auth.Principal, id int64) (Election, error) {
	c, err := s.members.CallerOf(ctx, p)
	if err != nil {
		return Election{}, err
	}
	e, err := getElection(ctx, s.db, id, noLock)
	if err != nil {
		return Election{}, err
	}
	m, err := s.meetings.Get(ctx, e.MeetingID)
	if err != nil {
		return Election{}, err
	}
	if !m.VisibleTo(c) {
		return Election{}, ErrNotFound
	}
	return e, nil
}

// lockElection loads an election the caller may see inside tx, its
// meeting locked FOR SHARE and the election FOR UPDATE.
func (s *Service) lockElection(ctx context.Context, tx *sqlx.Tx, c members.Caller, id int64) (meetings.Meeting, Election, error) {
	peek, err := getElection(ctx, tx, id, noLock)
	if err != nil {
		return meetings.Meeting{}, Election{}, err
	}
	m, err := s.meetings.Lock(ctx, tx, peek.MeetingID)
	if err != nil {
		return meetings.Meeting{}, Election{}, err
	}
	if !m.VisibleTo(c) {
		return meetings.Meeting{}, Election{}, ErrNotFound
	}
	e, err := getElection(ctx, tx, id, lockForUpdate)
	if err != nil {
		return meetings.Meeting{}, Election{}, err
	}
	return m, e, nil
}

// Nomination names a candidate: MemberID a member, or Name a person or
// firm who is not a member (the board only). Neither stands the caller,
// as the member they act for.
type Nomination struct {
	MemberID  *int64
	Name      string
	Statement string
}

// Nominate adds a candidate while nominations are open. An active member
// stands themself or nominates another active member, who must consent
// before appearing on the ballot; the board may also enter a person or
// firm who is not a member, such as an audit firm.
func (s *Service) Nominate(ctx context.Context, p auth.Principal, id int64, in Nomination) (Candidate, error) {
	c, err := s.members.CallerOf(ctx, p)
	if err != nil {
		return Candidate{}, err
	}
	if !c.IsMember() && !c.Board() {
		if _, err := s.GetAs(ctx, p, id); err != nil {
			return Candidate{}, err
		}
		return Candidate{}, errs.Wrap(errs.Forbidden, "Only active members and the board nominate candidates.")
	}
	var v errs.Validation
	// Browsers send a text area's line breaks as CRLF.
	in.Name, in.Statement = strings.TrimSpace(in.Name), strings.TrimSpace(strings.ReplaceAll(in.Statement, "\r\n", "\n"))
	checkText(&v, "statement", in.Statement, MaxStatement, "Keep the statement to 4000 characters.")
	switch {
	case in.MemberID != nil && in.Name != "":
		v.Add("name", "Name either a member or, for the board, a person who is not a member; not both.")
	case in.MemberID == nil && in.Name != "" && !c.Board():
		v.Add("name", "Only the board enters candidates who are not members.")
	case in.MemberID == nil && in.Name != "":
		checkLine(&v, "name", in.Name, MaxName, "Keep the name to 200 characters.")
	case in.MemberID == nil && in.Name == "":
		// As for motions: the caller's individual membership, or else the
		// only member they act for. Not ActingAs: the member named here
		// is the candidate, and the messages ask for one.
		switch own, ok := c.Own(); {
		case ok:
			in.MemberID = &own.ID
		case !c.IsMember():
			v.Add("member_id", "Name the member or the person to nominate.")
		default:
			v.Add("member_id", "You act for several members: say which one stands.")
		}
	}
	if err := v.Err(); err != nil {
		return Candidate{}, err
	}
	cand := Candidate{ElectionID: id, MemberID: in.MemberID, Name: in.Name, Statement: in.Statement, NominatedBy: p.Actor()}
	// A candidate who stands themself, or whom the board enters by name,
	// consents by being entered; any other member nominee consents later.
	consented := in.MemberID == nil || actsFor(c, *in.MemberID)
	var nominee members.Member
	if in.MemberID != nil {
		nominee, err = s.members.Get(ctx, *in.MemberID)
		if err != nil || nominee.Status != members.StatusActive {
			var v errs.Validation
			v.Add("member_id", "Choose an active member.")
			return Candidate{}, v.Err()
		}
		cand.Name = nominee.Name
	}
	err = db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		m, e, err := s.lockElection(ctx, tx, c, id)
		if err != nil {
			return err
		}
		if err := refuseFinished(m); err != nil {
			return err
		}
		if e.NominationsClosed(s.clock.Now()) {
			return errs.Wrap(errs.Conflict, "Nominations for this election are closed.")
		}
		if in.MemberID != nil && slices.ContainsFunc(e.Candidates, func(x Candidate) bool {
			return x.MemberID != nil && *x.MemberID == *in.MemberID
		}) {
			return errs.Wrap(errs.Conflict, "This member is already nominated in this election.")
		}
		// The ballot shows candidates by name alone: a person or firm the
		// board enters must not read like a candidate already standing.
		if in.MemberID == nil && slices.ContainsFunc(e.Candidates, func(x Candidate) bool { return sameName(x.Name, in.Name) }) {
			return errs.Wrap(errs.Conflict, "A candidate called “%s” already stands in this election. Enter this one under a name that tells them apart on the ballot, such as with the firm's town or business ID.", oneLine(in.Name))
		}
		now := s.clock.Now().Truncate(time.Microsecond)
		if cand.ID, err = insertCandidate(ctx, tx, cand, now, consented); err != nil {
			return err
		}
		cand.Consented = consented
		// A member nominated by someone else is told, so that they can
		// consent: until they do, they are not on the ballot.
		if !consented {
			if err := mail.Enqueue(ctx, tx, now, s.nominated(m, e, nominee, nominator(c), in.Statement)); err != nil {
				return fmt.Errorf("elections: nominate in %d: %w", id, err)
			}
		}
		_, err = s.audit.Append(ctx, tx, audit.Event{ActorAccountID: p.Actor(), Action: "election.nominated",
			Subject: subject(id), Payload: map[string]any{"candidate_id": cand.ID, "member_id": in.MemberID,
				"consented": consented}})
		return err
	})
	if err != nil {
		return Candidate{}, err
	}
	return cand, nil
}

// Consent is the nominee's consent to stand: only an account acting for
// the nominated member gives it. Consenting again changes nothing.
func (s *Service) Consent(ctx context.Context, p auth.Principal, id, candidateID int64) (Candidate, error) {
	c, err := s.members.CallerOf(ctx, p)
	if err != nil {
		return Candidate{}, err
	}
	var out Candidate
	err = db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		m, e, err := s.lockElection(ctx, tx, c, id)
		if err != nil {
			return err
		}
		cand, err := getCandidate(ctx, tx, id, candidateID, lockForUpdate)
		if err != nil {
			return err
		}
		if cand.MemberID == nil || !actsFor(c, *cand.MemberID) {
			return errs.Wrap(errs.Forbidden, "Only the nominee consents to stand.")
		}
		if cand.Consented {
			out = cand
			return nil
		}
		if err := refuseFinished(m); err != nil {
			return err
		}
		if e.Status != StatusNominating {
			return errs.Wrap(errs.Conflict, "The election is already put to the vote: consent came too late.")
		}
		if err := setConsented(ctx, tx, cand.ID, s.clock.Now().Truncate(time.Microsecond)); err != nil {
			return err
		}
		cand.Consented = true
		out = cand
		_, err = s.audit.Append(ctx, tx, audit.Event{ActorAccountID: p.Actor(), Action: "election.consented",
			Subject: subject(id), Payload: map[string]any{"candidate_id": cand.ID, "member_id": *cand.MemberID}})
		return err
	})
	return out, err
}

// Withdraw ends a candidacy before the election is put to the vote, even
// once nominations have closed: the candidate withdraws, through whoever
// acts for the member, and the board withdraws a person or firm it
// entered, who has no account to do it with. The candidacy is removed,
// since it was on no ballot; its nomination and its withdrawal stay in the
// audit log. The election is returned without it.
func (s *Service) Withdraw(ctx context.Context, p auth.Principal, id, candidateID int64) (Election, error) {
	c, err := s.members.CallerOf(ctx, p)
	if err != nil {
		return Election{}, err
	}
	var out Election
	err = db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		m, e, err := s.lockElection(ctx, tx, c, id)
		if err != nil {
			return err
		}
		cand, err := getCandidate(ctx, tx, id, candidateID, lockForUpdate)
		if err != nil {
			return err
		}
		if !mayWithdraw(c, cand) {
			if cand.MemberID == nil {
				return errs.Wrap(errs.Forbidden, "Only the board withdraws a candidate who is not a member.")
			}
			return errs.Wrap(errs.Forbidden, "Only the candidate withdraws their candidacy.")
		}
		if err := refuseFinished(m); err != nil {
			return err
		}
		if e.Status != StatusNominating {
			return errs.Wrap(errs.Conflict, "The election is already put to the vote: a candidacy can no longer be withdrawn.")
		}
		if err := deleteCandidate(ctx, tx, cand.ID); err != nil {
			return err
		}
		e.Candidates = slices.DeleteFunc(e.Candidates, func(x Candidate) bool { return x.ID == cand.ID })
		out = e
		_, err = s.audit.Append(ctx, tx, audit.Event{ActorAccountID: p.Actor(), Action: "election.withdrawn",
			Subject: subject(id), Payload: map[string]any{"candidate_id": cand.ID, "member_id": cand.MemberID}})
		return err
	})
	return out, err
}

// mayWithdraw reports whether the caller withdraws the candidacy.
func mayWithdraw(c members.Caller, cand Candidate) bool {
	if cand.MemberID == nil {
		return c.Board()
	}
	return actsFor(c, *cand.MemberID)
}

// errNotBoardClose refuses to anyone but the board the time nominations
// close.
var errNotBoardClose = errs.Wrap(errs.Forbidden, "Only the board sets when nominations close.")

// ViewForClose returns the page of an election whose nominations close
// the principal may set, for the form that reads the time in the
// meeting's zone: only the board sets it.
func (s *Service) ViewForClose(ctx context.Context, p auth.Principal, id int64) (View, error) {
	v, err := s.ViewAs(ctx, p, id)
	if err != nil {
		return View{}, err
	}
	if !v.Board {
		return View{}, errNotBoardClose
	}
	return v, nil
}

// SetNominationsClose sets, moves or, with nil, removes the time
// nominations close, while the election is not yet put to the vote
// (SPEC.md: the board may close nominations at a set time). A time that
// has passed may be moved later, which opens nominations again. Only the
// board does; the same time again changes nothing.
func (s *Service) SetNominationsClose(ctx context.Context, p auth.Principal, id int64, at *time.Time) (Election, error) {
	c, err := s.members.CallerOf(ctx, p)
	if err != nil {
		return Election{}, err
	}
	var out Election
	err = db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		m, e, err := s.lockElection(ctx, tx, c, id)
		if err != nil {
			return err
		}
		if !c.Board() {
			return errNotBoardClose
		}
		if err := refuseFinished(m); err != nil {
			return err
		}
		if e.Status != StatusNominating {
			return errs.Wrap(errs.Conflict, "The election is already put to the vote: its nominations have ended.")
		}
		var v errs.Validation
		closeAt := checkCloseAt(&v, at, s.clock.Now())
		if err := v.Err(); err != nil {
			return err
		}
		out = e
		if (closeAt == nil) == (e.NominationsCloseAt == nil) && (closeAt == nil || closeAt.Equal(*e.NominationsCloseAt)) {
			return nil
		}
		if err := setNominationsClose(ctx, tx, id, closeAt); err != nil {
			return err
		}
		out.NominationsCloseAt = closeAt
		payload := map[string]any{"nominations_close_at": nil}
		if closeAt != nil {
			payload["nominations_close_at"] = audit.FormatTime(*closeAt)
		}
		_, err = s.audit.Append(ctx, tx, audit.Event{ActorAccountID: p.Actor(), Action: "election.nominations_close_set",
			Subject: subject(id), Payload: payload})
		return err
	})
	return out, err
}

// View is what an election's page shows a principal.
type View struct {
	Election Election
	Meeting  meetings.Meeting
	// Acting lists the active members the viewer acts for: they may stand
	// as these, and consent for them.
	Acting []members.Member
	Board  bool
	// Chair is true when the viewer chairs the meeting: they put the
	// election to the vote in the session.
	Chair bool
	// NominationsOpen reports whether nominations are still taken.
	NominationsOpen bool

	caller members.Caller
	// onBallot lists the candidates on the ballot, or who would be if it
	// opened now (Service.onBallot).
	onBallot []int64
}

// NominationsClose is when nominations close, as the meeting's pages show
// times, or nil when the board set no time.
func (v View) NominationsClose() *meetings.TimeView {
	return meetings.TimeAt(v.Election.NominationsCloseAt, v.Meeting.Zone())
}

// StatusText says the election's status in words as of the view.
func (v View) StatusText() string { return statusText(v.Election, v.Meeting, v.NominationsOpen) }

// Consenting counts the candidates on the ballot, or who would be if it
// opened now.
func (v View) Consenting() int { return len(v.onBallot) }

// OnBallot reports whether the candidate is on the ballot, or would be if
// it opened now.
func (v View) OnBallot(c Candidate) bool { return slices.Contains(v.onBallot, c.ID) }

// LeftOff names the candidates who consented but are not on the ballot,
// or would not be if it opened now: they are no longer active members.
func (v View) LeftOff() []string {
	var names []string
	for _, c := range v.Election.Candidates {
		if c.Consented && !v.OnBallot(c) {
			names = append(names, c.Name)
		}
	}
	return names
}

// CanBallot reports whether the page offers the viewer the form that
// puts the election to the vote: to the chair, whose ballot waits for the
// session, and to the board for advance voting before it.
func (v View) CanBallot() bool {
	return v.Election.Status == StatusNominating && !v.Meeting.Finished() &&
		(mayOpen(v.Chair, v.caller, v.Meeting, ballots.ElectorateRepresented) == nil || v.Advance())
}

// Advance reports whether the viewer may open advance voting on the
// election now, as far as this package knows: the rules, which may not
// allow it, are internal/ballots' to apply.
func (v View) Advance() bool {
	return !v.nominationsAwaited() && v.mayOpenAdvance()
}

// AdvanceWaits reports whether the viewer could open advance voting but
// for nominations, which are open until the time announced.
func (v View) AdvanceWaits() bool {
	return v.nominationsAwaited() && v.mayOpenAdvance()
}

// nominationsAwaited is NominationsAwaited now: while nominations are open,
// until a time the board set.
func (v View) nominationsAwaited() bool {
	return v.NominationsOpen && v.Election.Status == StatusNominating && v.Election.NominationsCloseAt != nil
}

func (v View) mayOpenAdvance() bool {
	return advanceVoting(v.Meeting, ballots.ElectorateAllMembers) &&
		mayOpen(v.Chair, v.caller, v.Meeting, ballots.ElectorateAllMembers) == nil
}

// CanWithdraw reports whether the viewer withdraws the candidacy.
func (v View) CanWithdraw(c Candidate) bool {
	return v.Election.Status == StatusNominating && !v.Meeting.Finished() && mayWithdraw(v.caller, c)
}

// CanSetClose reports whether the viewer sets when nominations close.
func (v View) CanSetClose() bool {
	return v.Board && v.Election.Status == StatusNominating && !v.Meeting.Finished()
}

// CanConsent reports whether the viewer consents for the candidate.
func (v View) CanConsent(c Candidate) bool {
	return !c.Consented && c.MemberID != nil && v.Election.Status == StatusNominating &&
		slices.ContainsFunc(v.Acting, func(m members.Member) bool { return m.ID == *c.MemberID })
}

// ViewAs returns an election's page for the principal.
func (s *Service) ViewAs(ctx context.Context, p auth.Principal, id int64) (View, error) {
	c, err := s.members.CallerOf(ctx, p)
	if err != nil {
		return View{}, err
	}
	e, err := s.GetAs(ctx, p, id)
	if err != nil {
		return View{}, err
	}
	m, err := s.meetings.Get(ctx, e.MeetingID)
	if err != nil {
		return View{}, err
	}
	on, err := s.onBallot(ctx, e)
	if err != nil {
		return View{}, err
	}
	return View{Election: e, Meeting: m, Acting: c.Acting(), Board: c.Board(), Chair: m.IsChair(p.AccountID),
		NominationsOpen: nominationsOpen(e, m, s.clock.Now()), caller: c, onBallot: on}, nil
}
