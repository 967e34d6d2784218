package motions

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/citizen-network/osk/internal/audit"
	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/clock"
	"github.com/citizen-network/osk/internal/db"
	"github.com/citizen-network/osk/internal/errs"
	"github.com/citizen-network/osk/internal/meetings"
	"github.com/citizen-network/osk/internal/members"
	"github.com/citizen-network/osk/internal/paging"
)

// Service holds the rules of motions.
type Service struct {
	db       *sqlx.DB
	audit    *audit.Log
	clock    clock.Clock
	members  *members.Service
	meetings *meetings.Service
	ballots  Ballots
}

// NewService returns the motions service; ballots opens the ballots on
// motions.
func NewService(conn *sqlx.DB, log *audit.Log, clk clock.Clock, membersSvc *members.Service, meetingsSvc *meetings.Service, ballots Ballots) *Service {
	return &Service{db: conn, audit: log, clock: clk, members: membersSvc, meetings: meetingsSvc, ballots: ballots}
}

// refuseFinished refuses any change to the motions of a closed or
// cancelled meeting: its record is complete.
func refuseFinished(m meetings.Meeting) error {
	switch m.Status {
	case meetings.StatusClosed:
		return errs.Wrap(errs.Conflict, "The meeting is closed: its motions cannot change any more.")
	case meetings.StatusCancelled:
		return errs.Wrap(errs.Conflict, "The meeting was cancelled: its motions cannot change any more.")
	}
	return nil
}

// lockMotion loads a motion the caller may see inside tx, its meeting
// locked FOR SHARE (so that the meeting cannot close under the change)
// and the motion FOR UPDATE. Locks are always taken in the order meeting,
// main motion, amendments.
func (s *Service) lockMotion(ctx context.Context, tx *sqlx.Tx, c members.Caller, id int64) (meetings.Meeting, Motion, error) {
	peek, err := getMotion(ctx, tx, id, noLock)
	if err != nil {
		return meetings.Meeting{}, Motion{}, err
	}
	mt, err := s.meetings.Lock(ctx, tx, peek.MeetingID)
	if err != nil {
		return meetings.Meeting{}, Motion{}, err
	}
	if !mt.VisibleTo(c) {
		return meetings.Meeting{}, Motion{}, ErrNotFound
	}
	if peek.AmendsMotionID != nil {
		if _, err := getMotion(ctx, tx, *peek.AmendsMotionID, lockForUpdate); err != nil {
			return meetings.Meeting{}, Motion{}, err
		}
	}
	mo, err := getMotion(ctx, tx, id, lockForUpdate)
	if err != nil {
		return meetings.Meeting{}, Motion{}, err
	}
	return mt, mo, nil
}

// Proposal is a new motion or amendment.
type Proposal struct {
	Title string
	// Body is the text in Markdown. For an amendment it is the whole new
	// text of the main motion, not a description of the change: carrying
	// the amendment makes it the main motion's next version.
	Body           string
	AgendaItemID   *int64
	AmendsMotionID *int64
	// Majority is set by the board only; nil means simple, or two thirds
	// on an item that changes the rules.
	Majority *string
	// MemberID proposes as this member: an organisation the caller
	// represents, or their own membership. Nil proposes for the board when
	// the caller belongs to it, and otherwise as the caller's own
	// membership.
	MemberID *int64
}

func (in Proposal) normalised() Proposal {
	in.Title = strings.TrimSpace(in.Title)
	in.Body = strings.TrimSpace(strings.ReplaceAll(in.Body, "\r\n", "\n"))
	if in.Majority != nil {
		m := strings.TrimSpace(*in.Majority)
		in.Majority = &m
		if m == "" {
			in.Majority = nil
		}
	}
	return in
}

// Propose records a motion at a meeting. Members propose main motions
// until the meeting's member motion deadline and amendments until the
// motion they amend is put to a vote; their motions wait for a seconder.
// The board proposes at any time before a vote, needs no seconder and
// sets the required majority.
func (s *Service) Propose(ctx context.Context, p auth.Principal, meetingID int64, in Proposal) (Detail, error) {
	c, err := s.members.CallerOf(ctx, p)
	if err != nil {
		return Detail{}, err
	}
	in = in.normalised()
	// The deadline comes from internal/meetings, which reckons it in the
	// meeting's zone; a meeting's start is fixed once members can see it.
	decorated, err := s.meetings.Get(ctx, meetingID)
	if err != nil {
		return Detail{}, err
	}
	var id int64
	err = db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		mt, err := s.meetings.Lock(ctx, tx, meetingID)
		if err != nil {
			return err
		}
		if !mt.VisibleTo(c) {
			return meetings.ErrNotFound
		}
		mo := Motion{MeetingID: mt.ID, ProposerAccountID: p.AccountID, SubmittedAt: s.clock.Now(),
			Title: in.Title, Body: in.Body, AgendaItemID: in.AgendaItemID}
		if in.MemberID == nil && c.Board() {
			mo.ByBoard, mo.Status = true, StatusSeconded
		} else {
			mem, err := c.ActingAs(in.MemberID, "propose motions")
			if err != nil {
				return err
			}
			mo.ProposerMemberID, mo.Status = &mem.ID, StatusSubmitted
			if in.Majority != nil {
				return errs.Wrap(errs.Forbidden, "Only the board sets the majority a motion needs.")
			}
		}
		if err := refuseFinished(mt); err != nil {
			return err
		}
		if !mo.ByBoard {
			switch {
			case mt.Status == meetings.StatusDraft:
				return errs.Wrap(errs.Conflict, "The meeting has not been convened yet.")
			case in.AmendsMotionID == nil && mo.SubmittedAt.After(decorated.MemberMotionDeadline):
				return errs.Wrap(errs.Conflict, "The deadline for members' motions to this meeting was %s. You can still propose amendments to its motions.",
					formatIn(decorated.MemberMotionDeadline, mt))
			}
		}

		var v errs.Validation
		checkLine(&v, "title", in.Title, MaxTitle, "Enter a title for the motion.")
		checkBody(&v, "body", in.Body)
		var main *Motion
		if in.AmendsMotionID != nil {
			m, err := amendable(ctx, tx, &v, mt, *in.AmendsMotionID)
			if err != nil {
				return err
			}
			main = m
		}
		var item *meetings.AgendaItem
		if in.AgendaItemID != nil {
			for i := range mt.Agenda {
				if mt.Agenda[i].ID == *in.AgendaItemID {
					item = &mt.Agenda[i]
				}
			}
			switch {
			case item == nil:
				v.Add("agenda_item_id", "The meeting has no such agenda item.")
			case main != nil && (main.AgendaItemID == nil || *main.AgendaItemID != item.ID):
				v.Add("agenda_item_id", "An amendment is handled under the item of the motion it amends.")
			}
		}
		if main != nil {
			mo.AmendsMotionID, mo.BasedOnVersion, mo.AgendaItemID = &main.ID, &main.Version, main.AgendaItemID
			if item == nil && main.AgendaItemID != nil {
				for i := range mt.Agenda {
					if mt.Agenda[i].ID == *main.AgendaItemID {
						item = &mt.Agenda[i]
					}
				}
			}
			if !v.Has("body") && in.Body == main.Body {
				v.Add("body", "This is the motion's text as it stands: write the whole text as the amendment would make it.")
			}
		}
		mo.Majority = majorityFor(&v, in.Majority, item)
		if err := v.Err(); err != nil {
			return err
		}
		if main != nil && !main.Open() {
			return errs.Wrap(errs.Conflict, "The motion has been %s: it can no longer be amended.", pastTense(main.Status))
		}

		if id, err = insertMotion(ctx, tx, mo); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, audit.Event{
			ActorAccountID: p.Actor(), Action: "motion.proposed", Subject: subject(id),
			Payload: map[string]any{"meeting_id": mt.ID, "agenda_item_id": mo.AgendaItemID, "amends_motion_id": mo.AmendsMotionID,
				"based_on_version": mo.BasedOnVersion, "by_board": mo.ByBoard, "proposer_member_id": mo.ProposerMemberID,
				"majority": mo.Majority, "status": mo.Status, "title": mo.Title, "body_sha256": bodyHash(mo.Body)},
		})
		return err
	})
	if err != nil {
		return Detail{}, err
	}
	return s.detail(ctx, id)
}

// amendable loads and locks the main motion an amendment amends; what is
// wrong with the reference goes into v.
func amendable(ctx context.Context, tx *sqlx.Tx, v *errs.Validation, mt meetings.Meeting, id int64) (*Motion, error) {
	main, err := getMotion(ctx, tx, id, lockForUpdate)
	switch {
	case errors.Is(err, ErrNotFound):
		v.Add("amends_motion_id", "There is no motion with this id.")
		return nil, nil
	case err != nil:
		return nil, err
	case main.MeetingID != mt.ID:
		v.Add("amends_motion_id", "That motion belongs to another meeting: amend a motion of this meeting.")
		return nil, nil
	case main.IsAmendment():
		v.Add("amends_motion_id", "That motion is itself an amendment: amend the main motion instead.")
		return nil, nil
	}
	return &main, nil
}

// majorityFor works out a new motion's required majority: the board's
// choice or the default, and at least two thirds on an item that changes
// the co-op's rules (SPEC.md).
func majorityFor(v *errs.Validation, chosen *string, item *meetings.AgendaItem) string {
	ruleChange := item != nil && item.RuleChange
	if chosen == nil {
		if ruleChange {
			return RuleChangeMajority
		}
		return MajoritySimple
	}
	switch {
	case strength(*chosen) == 0:
		v.Add("majority", "Choose the majority: more than half (simple), two thirds (two_thirds), three quarters (three_quarters) or every vote (unanimous).")
	case ruleChange && strength(*chosen) < strength(RuleChangeMajority):
		v.Add("majority", "The agenda item changes the co-op's rules: a motion on it needs at least two thirds of the votes cast.")
	}
	return *chosen
}

// Second records another active member as the seconder of a member's
// motion, which can then be put to a vote.
func (s *Service) Second(ctx context.Context, p auth.Principal, id int64, memberID *int64) (Detail, error) {
	c, err := s.members.CallerOf(ctx, p)
	if err != nil {
		return Detail{}, err
	}
	err = db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		mt, mo, err := s.lockMotion(ctx, tx, c, id)
		if err != nil {
			return err
		}
		mem, err := c.ActingAs(memberID, "second motions")
		if err != nil {
			return err
		}
		if err := refuseFinished(mt); err != nil {
			return err
		}
		if mo.ByBoard {
			return errs.Wrap(errs.Conflict, "This is the board's motion: it needs no seconder.")
		}
		if *mo.ProposerMemberID == mem.ID || mo.ProposerAccountID == p.AccountID {
			return errs.Wrap(errs.Forbidden, "You proposed this motion: another member must second it.")
		}
		if mo.Status != StatusSubmitted {
			if mo.Status == StatusSeconded {
				return errs.Wrap(errs.Conflict, "This motion has already been seconded.")
			}
			return errs.Wrap(errs.Conflict, "The motion has been %s: it can no longer be seconded.", pastTense(mo.Status))
		}
		if mo.IsAmendment() {
			// The motion it amends went to the vote without it: it fell.
			main, err := getMotion(ctx, tx, *mo.AmendsMotionID, noLock)
			if err != nil {
				return err
			}
			if !main.Open() {
				return errs.Wrap(errs.Conflict, "The motion this amends was put to the vote without it, as nobody had seconded it: it can no longer be seconded.")
			}
		}
		now := s.clock.Now()
		if err := setSeconded(ctx, tx, id, mem.ID, p.AccountID, now); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, audit.Event{
			ActorAccountID: p.Actor(), Action: "motion.seconded", Subject: subject(id),
			Payload: map[string]any{"meeting_id": mt.ID, "seconder_member_id": mem.ID},
		})
		return err
	})
	if err != nil {
		return Detail{}, err
	}
	return s.detail(ctx, id)
}

// Withdraw withdraws a motion before it is put to a vote: a member's
// motion by whoever acts for the proposing member, the board's by the
// board. Withdrawing a main motion withdraws its open amendments with it,
// as they have nothing left to amend.
func (s *Service) Withdraw(ctx context.Context, p auth.Principal, id int64) (Detail, error) {
	c, err := s.members.CallerOf(ctx, p)
	if err != nil {
		return Detail{}, err
	}
	err = db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		mt, mo, err := s.lockMotion(ctx, tx, c, id)
		if err != nil {
			return err
		}
		if mo.ByBoard && !c.Board() {
			return errs.Wrap(errs.Forbidden, "Only the board can withdraw the board's motion.")
		}
		if !mo.ByBoard {
			if _, ok := c.ActsFor(*mo.ProposerMemberID); !ok {
				return errs.Wrap(errs.Forbidden, "Only the member who proposed the motion can withdraw it.")
			}
		}
		if err := refuseFinished(mt); err != nil {
			return err
		}
		if !mo.Open() {
			return errs.Wrap(errs.Conflict, "The motion has been %s: it can no longer be withdrawn.", pastTense(mo.Status))
		}
		var cascade []Motion
		if !mo.IsAmendment() {
			amendments, err := amendmentsOf(ctx, tx, id, lockForUpdate)
			if err != nil {
				return err
			}
			for _, a := range amendments {
				switch {
				case a.Status == StatusVoting:
					return errs.Wrap(errs.Conflict, "An amendment to this motion is being voted on: wait for its result.")
				case a.Open():
					cascade = append(cascade, a)
				}
			}
		}
		now := s.clock.Now()
		if err := setWithdrawn(ctx, tx, id, p.AccountID, now); err != nil {
			return err
		}
		for _, a := range cascade {
			if err := setWithdrawn(ctx, tx, a.ID, p.AccountID, now); err != nil {
				return err
			}
		}
		// One event per motion, so that each motion's history is complete
		// under its own subject.
		for _, a := range cascade {
			if _, err := s.audit.Append(ctx, tx, audit.Event{
				ActorAccountID: p.Actor(), Action: "motion.withdrawn", Subject: subject(a.ID),
				Payload: map[string]any{"meeting_id": mt.ID, "was": a.Status, "with_motion_id": id},
			}); err != nil {
				return err
			}
		}
		_, err = s.audit.Append(ctx, tx, audit.Event{
			ActorAccountID: p.Actor(), Action: "motion.withdrawn", Subject: subject(id),
			Payload: map[string]any{"meeting_id": mt.ID, "was": mo.Status, "amendments_withdrawn": len(cascade)},
		})
		return err
	})
	if err != nil {
		return Detail{}, err
	}
	return s.detail(ctx, id)
}

// SetMajority sets the majority a motion needs: the board marks a motion,
// a member's as well as its own, as needing more than a simple majority
// (SPEC.md, "Motions"), or changes its mind, until the motion is put to a
// vote, whose ballot then fixes the majority. On an item that changes the
// rules it is never below two thirds.
func (s *Service) SetMajority(ctx context.Context, p auth.Principal, id int64, majority string) (Detail, error) {
	c, err := s.members.CallerOf(ctx, p)
	if err != nil {
		return Detail{}, err
	}
	majority = strings.TrimSpace(majority)
	err = db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		mt, mo, err := s.lockMotion(ctx, tx, c, id)
		if err != nil {
			return err
		}
		if !c.Board() {
			return errs.Wrap(errs.Forbidden, "Only the board sets the majority a motion needs.")
		}
		if err := refuseFinished(mt); err != nil {
			return err
		}
		if !mo.Open() {
			return errs.Wrap(errs.Conflict, "The motion has been %s: the majority it needs can no longer change.", pastTense(mo.Status))
		}
		if mo.IsAmendment() {
			main, err := getMotion(ctx, tx, *mo.AmendsMotionID, noLock)
			if err != nil {
				return err
			}
			if !main.Open() {
				return errs.Wrap(errs.Conflict, "The motion this amends has been %s: the amendment can no longer be voted on.", pastTense(main.Status))
			}
		}
		var v errs.Validation
		majorityFor(&v, &majority, agendaItem(mt, mo.AgendaItemID))
		if err := v.Err(); err != nil {
			return err
		}
		if majority == mo.Majority {
			return nil
		}
		if err := setMajority(ctx, tx, id, majority); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, audit.Event{
			ActorAccountID: p.Actor(), Action: "motion.majority_set", Subject: subject(id),
			Payload: map[string]any{"meeting_id": mt.ID, "majority": majority, "was": mo.Majority},
		})
		return err
	})
	if err != nil {
		return Detail{}, err
	}
	return s.detail(ctx, id)
}

// GetAs returns a motion the principal may see, with its amendments and
// versions.
func (s *Service) GetAs(ctx context.Context, p auth.Principal, id int64) (Detail, error) {
	c, err := s.members.CallerOf(ctx, p)
	if err != nil {
		return Detail{}, err
	}
	mo, err := getMotion(ctx, s.db, id, noLock)
	if err != nil {
		return Detail{}, err
	}
	mt, err := s.meetings.Get(ctx, mo.MeetingID)
	if err != nil {
		return Detail{}, err
	}
	if !mt.VisibleTo(c) {
		return Detail{}, ErrNotFound
	}
	return s.detail(ctx, id)
}

// Get returns a motion without any access check, for other domains (the
// minutes quote each motion's text).
func (s *Service) Get(ctx context.Context, id int64) (Detail, error) {
	return s.detail(ctx, id)
}

func (s *Service) detail(ctx context.Context, id int64) (Detail, error) {
	mo, err := getMotion(ctx, s.db, id, noLock)
	if err != nil {
		return Detail{}, err
	}
	d := Detail{Motion: mo, Amendments: []Motion{}}
	if !mo.IsAmendment() {
		if d.Amendments, err = amendmentsOf(ctx, s.db, id, noLock); err != nil {
			return Detail{}, err
		}
	}
	if d.Versions, err = versionsOf(ctx, s.db, id); err != nil {
		return Detail{}, err
	}
	return d, nil
}

// ListFilter selects a page of a meeting's motions.
type ListFilter = paging.Filter

// Page is one page of a meeting's motions and amendments, in the order
// they were proposed.
type Page = paging.Page[Motion]

// cursorTag marks the cursors of a meeting's motions.
const cursorTag = 'm'

// List returns a page of the motions of a meeting the principal may see.
func (s *Service) List(ctx context.Context, p auth.Principal, meetingID int64, f ListFilter) (Page, error) {
	c, err := s.members.CallerOf(ctx, p)
	if err != nil {
		return Page{}, err
	}
	mt, err := s.meetings.Get(ctx, meetingID)
	if err != nil {
		return Page{}, err
	}
	if !mt.VisibleTo(c) {
		return Page{}, meetings.ErrNotFound
	}
	size, after, err := paging.ByID(f, cursorTag)
	if err != nil {
		return Page{}, err
	}
	items, err := meetingMotions(ctx, s.db, meetingID, after, size+1)
	if err != nil {
		return Page{}, err
	}
	return paging.PageByID(items, size, cursorTag, func(m Motion) int64 { return m.ID }), nil
}

// All returns every motion of a meeting the principal may see, oldest
// first, for the meeting's pages.
func (s *Service) All(ctx context.Context, p auth.Principal, meetingID int64) ([]Motion, error) {
	var out []Motion
	f := ListFilter{Limit: paging.MaxLimit}
	for {
		page, err := s.List(ctx, p, meetingID, f)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Items...)
		if page.NextCursor == nil {
			return out, nil
		}
		f.Cursor = *page.NextCursor
	}
}

func checkLine(v *errs.Validation, field, s string, max int, missing string) {
	switch {
	case s == "":
		v.Add(field, "%s", missing)
	case utf8.RuneCountInString(s) > max:
		v.Add(field, "Use at most %d characters.", max)
	case !utf8.ValidString(s) || errs.HasControl(s, false):
		v.Add(field, "Write it on one line, without special characters.")
	}
}

func checkBody(v *errs.Validation, field, s string) {
	switch {
	case s == "":
		v.Add(field, "Enter the text of the motion.")
	case utf8.RuneCountInString(s) > MaxBody:
		v.Add(field, "Use at most %d characters; this text has %d.", MaxBody, utf8.RuneCountInString(s))
	case !utf8.ValidString(s) || errs.HasControl(s, true):
		v.Add(field, "Remove the special characters from this text.")
	}
}

// bodyHash fingerprints a text for the audit log, which keeps the hash
// rather than the text: the text itself is in motion_versions, and any
// later change to it no longer matches the hash.
func bodyHash(body string) string {
	sum := sha256.Sum256([]byte(body))
	return hex.EncodeToString(sum[:])
}

// pastTense says what happened to a motion that is no longer open.
func pastTense(status string) string {
	switch status {
	case StatusVoting:
		return "put to a vote"
	case StatusCarried:
		return "carried"
	case StatusFailed:
		return "voted down"
	case StatusNoQuorum:
		return "voted on without enough votes to decide"
	case StatusWithdrawn:
		return "withdrawn"
	}
	return status
}

func formatIn(t time.Time, m meetings.Meeting) string {
	return t.In(m.Zone()).Format("Monday 2 January 2006, 15:04 MST")
}
