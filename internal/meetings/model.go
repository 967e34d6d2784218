package meetings

import (
	"fmt"
	"strconv"
	"time"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/errs"
	"github.com/citizen-network/osk/internal/members"
	"github.com/citizen-network/osk/internal/rules"
)

// Kinds of general meeting.
const (
	KindAnnual        = "annual"
	KindExtraordinary = "extraordinary"
)

// Statuses of a meeting (SPEC.md: draft → convened → in_session → closed;
// draft or convened → cancelled).
const (
	StatusDraft     = "draft"
	StatusConvened  = "convened"
	StatusInSession = "in_session"
	StatusClosed    = "closed"
	StatusCancelled = "cancelled"
)

// Ways of taking part in person or remotely; a proxy is the third way.
const (
	ModeInPerson = "in_person"
	ModeRemote   = "remote"
)

// Statuses of a member's request for an agenda item.
const (
	RequestPending  = "pending"
	RequestAccepted = "accepted"
	RequestDeclined = "declined"
)

// DefaultTimeZone is the zone of a meeting when the board names none: the
// co-op's home.
const DefaultTimeZone = "Europe/Helsinki"

// OpensBefore is how long before its notified start the chair may open a
// session, and members may register as present (SPEC.md).
const OpensBefore = time.Hour

// ErrNotFound is returned for a meeting that does not exist or that the
// caller may not see (a draft, for members).
var ErrNotFound = fmt.Errorf("meetings: %w", errs.Wrap(errs.NotFound, "There is no such meeting."))

// QuorumRule is a meeting's quorum: members represented at least, and a
// percentage of the active members at least; zero means no requirement.
type QuorumRule struct {
	MinMembers int `json:"min_members"`
	MinPercent int `json:"min_percent"`
}

// AgendaItem is one item of a meeting's agenda.
type AgendaItem struct {
	ID          int64  `db:"id" json:"id"`
	MeetingID   int64  `db:"meeting_id" json:"-"`
	Position    int    `db:"position" json:"position"`
	Title       string `db:"title" json:"title"`
	Description string `db:"description" json:"description"`
	RuleChange  bool   `db:"rule_change" json:"rule_change"`
	Weighty     bool   `db:"weighty" json:"weighty"`
	// Statutory names the statutory item of an annual meeting this is,
	// such as "financial_statements"; empty for the others.
	Statutory string `db:"statutory" json:"statutory,omitempty"`
}

// Officers are the meeting's chair, secretary and minute checkers, by
// account.
type Officers struct {
	ChairAccountID     *int64  `json:"chair_account_id"`
	SecretaryAccountID *int64  `json:"secretary_account_id"`
	CheckerAccountIDs  []int64 `json:"checker_account_ids"`
}

// Meeting is a general meeting; its JSON form is API.md's MEETING, with
// these additions: opened_at, closed_at, cancelled_at, cancel_reason,
// member_motion_deadline, notice (the text published when convened),
// revision and warnings.
type Meeting struct {
	ID            int64        `db:"id" json:"id"`
	Kind          string       `db:"kind" json:"kind"`
	Title         string       `db:"title" json:"title"`
	StartsAt      time.Time    `db:"starts_at" json:"starts_at"`
	EndsAt        time.Time    `db:"ends_at" json:"ends_at"`
	Location      string       `db:"location" json:"location"`
	OnlineURL     string       `db:"online_url" json:"online_url"`
	RemoteAllowed bool         `db:"remote_allowed" json:"remote_allowed"`
	TimeZone      string       `db:"time_zone" json:"time_zone"`
	Status        string       `db:"status" json:"status"`
	ConvenedAt    *time.Time   `db:"convened_at" json:"convened_at"`
	RecordDate    *time.Time   `db:"record_date" json:"record_date"`
	Quorum        QuorumRule   `db:"-" json:"quorum"`
	Agenda        []AgendaItem `db:"-" json:"agenda"`
	Officers      Officers     `db:"-" json:"officers"`

	OpenedAt     *time.Time `db:"opened_at" json:"opened_at"`
	ClosedAt     *time.Time `db:"closed_at" json:"closed_at"`
	CancelledAt  *time.Time `db:"cancelled_at" json:"cancelled_at"`
	CancelReason string     `db:"cancel_reason" json:"cancel_reason"`
	// MemberMotionDeadline is the last moment members may ask for an
	// agenda item.
	MemberMotionDeadline time.Time `db:"-" json:"member_motion_deadline"`
	Notice               string    `db:"notice" json:"notice"`
	Revision             int       `db:"revision" json:"revision"`
	// The terms the notice announced, fixed when the meeting is convened
	// (nil before, and for meetings convened before they were kept):
	// see Terms.
	NoticedDeadline   *time.Time `db:"member_motion_deadline" json:"-"`
	NoticedProxies    *bool      `db:"proxies_allowed" json:"-"`
	NoticedProxyLimit *int       `db:"proxy_max_per_holder" json:"-"`
	// Warnings are things the board should know before convening, such as
	// an annual meeting later than the rules allow.
	Warnings []string `db:"-" json:"warnings"`

	QuorumMinMembers   int       `db:"quorum_min_members" json:"-"`
	QuorumMinPercent   int       `db:"quorum_min_percent" json:"-"`
	ChairAccountID     *int64    `db:"chair_account_id" json:"-"`
	SecretaryAccountID *int64    `db:"secretary_account_id" json:"-"`
	CreatedAt          time.Time `db:"created_at" json:"-"`
	CreatedBy          *int64    `db:"created_by" json:"-"`
	zone               *time.Location
}

// Zone is the meeting's time zone.
func (m Meeting) Zone() *time.Location {
	if m.zone != nil {
		return m.zone
	}
	if loc, err := time.LoadLocation(m.TimeZone); err == nil {
		return loc
	}
	return time.UTC
}

// IsChair reports whether the account chairs the meeting.
func (m Meeting) IsChair(accountID int64) bool {
	return accountID != 0 && m.ChairAccountID != nil && *m.ChairAccountID == accountID
}

// IsSecretary reports whether the account is the meeting's secretary.
func (m Meeting) IsSecretary(accountID int64) bool {
	return accountID != 0 && m.SecretaryAccountID != nil && *m.SecretaryAccountID == accountID
}

// IsChecker reports whether the account is one of the minute checkers.
func (m Meeting) IsChecker(accountID int64) bool {
	for _, id := range m.Officers.CheckerAccountIDs {
		if accountID != 0 && id == accountID {
			return true
		}
	}
	return false
}

// IsOfficer reports whether the account holds any of the meeting's roles.
func (m Meeting) IsOfficer(accountID int64) bool {
	return m.IsChair(accountID) || m.IsSecretary(accountID) || m.IsChecker(accountID)
}

// VisibleTo reports whether the caller may see the meeting: the board and
// auditors every meeting, members and the meeting's officers every
// meeting whose notice went out. A draft, and a draft cancelled before any
// notice, are the board's work, never published. Motions and elections
// show what is on a meeting to the same people, so they ask the same
// question.
func (m Meeting) VisibleTo(c members.Caller) bool {
	p := c.Principal()
	if p.HasAny(auth.RoleBoard, auth.RoleAuditor) {
		return true
	}
	return m.Noticed() && (c.IsMember() || m.IsOfficer(p.AccountID))
}

// Noticed reports whether the meeting's notice went out, whatever became
// of the meeting since.
func (m Meeting) Noticed() bool { return m.ConvenedAt != nil }

// runBy reports whether the caller runs the meeting in the room: its
// chair or secretary.
func (m Meeting) runBy(c members.Caller) bool {
	id := c.Principal().AccountID
	return m.IsChair(id) || m.IsSecretary(id)
}

// Finished reports whether nothing can happen at the meeting any more.
func (m Meeting) Finished() bool { return m.Status == StatusClosed || m.Status == StatusCancelled }

// HasWeightyItem reports whether the agenda changes the rules or has an
// item flagged weighty, which lengthens the notice period.
func (m Meeting) HasWeightyItem() bool {
	for _, it := range m.Agenda {
		if it.RuleChange || it.Weighty {
			return true
		}
	}
	return false
}

// Terms are the co-op's rules r as they apply to the meeting: once it is
// convened, with the proxies its notice announced.
func (m Meeting) Terms(r rules.Rules) rules.Rules {
	if m.NoticedProxies != nil {
		r.ProxiesAllowed = *m.NoticedProxies
	}
	if m.NoticedProxyLimit != nil {
		r.ProxyMaxPerHolder = *m.NoticedProxyLimit
	}
	return r
}

// AttendanceOpensAt is the earliest moment of the session: the chair may
// open it and members may register as present from then on.
func (m Meeting) AttendanceOpensAt() time.Time { return m.StartsAt.Add(-OpensBefore) }

// Topic is the live topic of the meeting's page (internal/live): the
// meeting's state, its quorum and, from internal/ballots, its ballots.
func Topic(meetingID int64) string { return "meeting:" + strconv.FormatInt(meetingID, 10) }

func subject(id int64) string { return "meeting:" + strconv.FormatInt(id, 10) }

// Quorum is the count of API.md's GET /api/v1/meetings/{id}/quorum: the
// members present (in person or remotely), those represented by a present
// proxy holder and not present themselves, their sum, the active members,
// the number the quorum requires, and whether it is met.
type Quorum struct {
	Present     int  `db:"present" json:"present"`
	ByProxy     int  `db:"by_proxy" json:"by_proxy"`
	Represented int  `db:"represented" json:"represented"`
	Eligible    int  `db:"eligible" json:"eligible"`
	Required    int  `db:"-" json:"required"`
	Met         bool `db:"-" json:"met"`
}

// Session is who was represented at the session of a closed meeting,
// each member once: those present at some time while it sat, in person or
// remotely, and those represented by proxy who never came themselves.
type Session struct {
	Present int `db:"present"`
	ByProxy int `db:"by_proxy"`
	// Eligible is the active members at the close, as the close's audit
	// event recorded them; 0 when the log has no such event.
	Eligible int `db:"-"`
}

// Represented is the members represented at the session.
func (s Session) Represented() int { return s.Present + s.ByProxy }

// Required is the number of members a quorum rule requires out of
// eligible active members: the larger of its two parts, the percentage
// rounded up.
func (r QuorumRule) Required(eligible int) int {
	byPercent := (r.MinPercent*eligible + 99) / 100
	return max(r.MinMembers, byPercent)
}

// Attendee is one member's attendance as API.md lists it, with additions:
// the member's kind, whether they are present now, and who registered
// them.
type Attendee struct {
	MemberID     int64      `db:"member_id" json:"member_id"`
	MemberNo     int        `db:"-" json:"member_no"`
	Name         string     `db:"-" json:"name"`
	Kind         string     `db:"-" json:"kind"`
	Mode         string     `db:"mode" json:"mode"`
	ProxyFor     []int64    `db:"-" json:"proxy_for"`
	ArrivedAt    time.Time  `db:"arrived_at" json:"arrived_at"`
	LeftAt       *time.Time `db:"left_at" json:"left_at"`
	Present      bool       `db:"-" json:"present"`
	RegisteredBy *int64     `db:"registered_by" json:"registered_by_account_id"`
}

// Proxy is an authorisation of one member (the grantor) for another (the
// holder) at one meeting.
type Proxy struct {
	ID             int64      `db:"id" json:"id"`
	MeetingID      int64      `db:"meeting_id" json:"meeting_id"`
	MemberID       int64      `db:"grantor_member_id" json:"member_id"`
	HolderMemberID int64      `db:"holder_member_id" json:"holder_member_id"`
	GrantedAt      time.Time  `db:"granted_at" json:"granted_at"`
	GrantedBy      int64      `db:"granted_by" json:"granted_by_account_id"`
	WithdrawnAt    *time.Time `db:"withdrawn_at" json:"withdrawn_at"`
	UsedAt         *time.Time `db:"used_at" json:"used_at"`
	UsedInBallot   *int64     `db:"used_in_ballot" json:"used_in_ballot"`
}

// ItemRequest is a member's request for an agenda item.
type ItemRequest struct {
	ID int64 `db:"id" json:"id"`
	// MeetingID is nil for a request made before any notice, while it
	// waits for the board to decide on it for a meeting.
	MeetingID    *int64     `db:"meeting_id" json:"meeting_id"`
	MemberID     int64      `db:"member_id" json:"member_id"`
	AccountID    int64      `db:"account_id" json:"account_id"`
	Title        string     `db:"title" json:"title"`
	Description  string     `db:"description" json:"description"`
	RequestedAt  time.Time  `db:"requested_at" json:"requested_at"`
	Status       string     `db:"status" json:"status"`
	DecidedAt    *time.Time `db:"decided_at" json:"decided_at"`
	Reason       string     `db:"reason" json:"reason"`
	AgendaItemID *int64     `db:"agenda_item_id" json:"agenda_item_id"`
}

// Representation says how one member is represented at a meeting now, for
// the voting lists of internal/ballots.
type Representation struct {
	MemberID int64 `db:"member_id" json:"member_id"`
	// Via is "present" (in person or remotely) or "proxy".
	Via string `db:"via" json:"via"`
	// Mode is the way the member, or for a proxy its holder, takes part.
	Mode string `db:"mode" json:"mode"`
	// HolderMemberID and ProxyID are set for a member represented by proxy.
	HolderMemberID *int64 `db:"holder_member_id" json:"holder_member_id"`
	ProxyID        *int64 `db:"proxy_id" json:"proxy_id"`
	// VoterAccountID is the account that casts the member's vote: the
	// member's own (an organisation's representative) or the holder's.
	VoterAccountID int64 `db:"voter_account_id" json:"voter_account_id"`
}

// Ways a member is represented.
const (
	ViaPresent = "present"
	ViaProxy   = "proxy"
)
