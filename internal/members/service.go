package members

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	// Dates of effect are days in Helsinki, whatever zone files the host
	// has.
	_ "time/tzdata"

	"github.com/jmoiron/sqlx"

	"github.com/citizen-network/osk/internal/audit"
	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/clock"
	"github.com/citizen-network/osk/internal/db"
	"github.com/citizen-network/osk/internal/errs"
	"github.com/citizen-network/osk/internal/mail"
)

// ErrNotFound is returned for a member that does not exist or that the
// caller may not see.
var ErrNotFound = fmt.Errorf("members: %w", errs.Wrap(errs.NotFound, "There is no such member."))

// HomeZone is the co-op's time zone: a date of effect ("resigned on 1
// March") is a day there.
const HomeZone = "Europe/Helsinki"

// DefaultShareDue is the share contribution due from a new member when
// neither the admission nor Config.ShareDefault says otherwise.
const (
	DefaultShareDue      = "0.00"
	DefaultShareCurrency = "EUR"
)

// Kinds of share contribution entries.
const (
	ShareKindPayment = "payment"
	ShareKindRefund  = "refund"
)

// Limits on what people type.
const (
	maxName       = 200
	maxAddress    = 500
	maxOrgNumber  = 50
	maxStatement  = 2000
	maxReason     = 2000
	maxDecision   = 200
	maxNote       = 500
	maxQuery      = 200
	defaultLimit  = 50
	maxListLimit  = 500
	maxHistoryLen = 10 * audit.MaxListLimit
)

// Config holds what the service needs from outside the database.
type Config struct {
	// BaseURL is where Osk is served, for the links in emails.
	BaseURL string
	// ShareDefault gives the share contribution due from a member admitted
	// without an amount; nil means DefaultShareDue in DefaultShareCurrency.
	// The co-op's rules provide it.
	ShareDefault func(ctx context.Context) (amount, currency string, err error)
}

// Service holds the rules of the member register.
type Service struct {
	db       *sqlx.DB
	audit    *audit.Log
	clock    clock.Clock
	accounts *auth.Service
	cfg      Config
	zone     *time.Location
	// handOvers run when an organisation's representative changes, in
	// that transaction (OnRepresentativeChanged).
	handOvers []HandOverFunc
}

// HandOverFunc passes to the account to what the account from did for the
// organisation member, inside tx.
type HandOverFunc func(ctx context.Context, tx *sqlx.Tx, member, from, to int64) error

// OnRepresentativeChanged registers what else changes hands with an
// organisation's representative: the ballots package, which depends on
// this one, gives the new representative the organisation's votes not yet
// cast.
func (s *Service) OnRepresentativeChanged(fn HandOverFunc) {
	s.handOvers = append(s.handOvers, fn)
}

// NewService returns the member register service.
func NewService(conn *sqlx.DB, log *audit.Log, clk clock.Clock, accounts *auth.Service, cfg Config) *Service {
	zone, err := time.LoadLocation(HomeZone)
	if err != nil {
		// time/tzdata is embedded, so the zone is always there.
		panic(fmt.Sprintf("members: time zone %s: %v", HomeZone, err))
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	return &Service{db: conn, audit: log, clock: clk, accounts: accounts, cfg: cfg, zone: zone}
}

// Zone is the co-op's time zone, for pages that show dates of effect.
func (s *Service) Zone() *time.Location { return s.zone }

func subject(id int64) string { return "member:" + strconv.FormatInt(id, 10) }

// Application is what a person sends to apply for membership.
type Application struct {
	Kind               string
	Name               string
	Email              string
	Country            string
	Address            string
	OrganisationNumber string
	Statement          string
	AcceptRules        bool
}

func (a Application) normalised() Application {
	a.Kind = strings.TrimSpace(a.Kind)
	a.Name = cleanName(a.Name)
	a.Email = strings.TrimSpace(a.Email)
	a.Country = strings.ToUpper(strings.TrimSpace(a.Country))
	a.Address = strings.TrimSpace(a.Address)
	a.OrganisationNumber = strings.TrimSpace(a.OrganisationNumber)
	a.Statement = strings.TrimSpace(a.Statement)
	return a
}

func (a *Application) validate() error {
	var v errs.Validation
	if !slices.Contains(Kinds, a.Kind) {
		v.Add("kind", "Choose whether you apply as an individual or for an organisation.")
	}
	checkName(&v, a.Name, a.Kind == KindOrganisation)
	if email, err := auth.ValidateEmail(a.Email); err != nil {
		v.Add("email", "%s", err.Error())
	} else {
		a.Email = email
	}
	checkCountry(&v, a.Country)
	checkText(&v, "address", a.Address, maxAddress, true)
	checkText(&v, "organisation_number", a.OrganisationNumber, maxOrgNumber, false)
	if a.OrganisationNumber != "" && a.Kind == KindIndividual {
		v.Add("organisation_number", "Only an organisation has an organisation number; leave it empty when you apply as an individual.")
	}
	checkText(&v, "statement", a.Statement, maxStatement, true)
	if !a.AcceptRules {
		v.Add("accept_rules", "You must accept the co-op's rules to apply.")
	}
	return v.Err()
}

func checkName(v *errs.Validation, name string, organisation bool) {
	switch {
	case name == "" && organisation:
		v.Add("name", "Enter the name of the organisation.")
	case name == "":
		v.Add("name", "Enter your name.")
	case utf8.RuneCountInString(name) > maxName:
		v.Add("name", "Use at most %d characters for the name.", maxName)
	case !utf8.ValidString(name) || errs.HasControl(name, false):
		v.Add("name", "Write the name on one line, without special characters.")
	case strings.IndexFunc(name, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }) < 0:
		v.Add("name", "Write the name with at least one letter.")
	}
}

// cleanName trims a name and writes every space in it, a no-break space or
// a line separator included, as one plain space, so that a name shows on
// one line and an organisation's name cannot pass the register's check
// against duplicates by a space that looks like another. Control
// characters are left for checkName to refuse.
func cleanName(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) && !unicode.IsControl(r)
	}), " ")
}

func checkCountry(v *errs.Validation, code string) {
	if !validCountry(code) {
		v.Add("country", "Choose the country from the list (or give its two-letter code, such as FI).")
	}
}

// checkText checks an optional free text: its length and, unless lines
// are allowed, that it stays on one line.
func checkText(v *errs.Validation, field, s string, max int, lines bool) {
	switch {
	case utf8.RuneCountInString(s) > max:
		v.Add(field, "Use at most %d characters.", max)
	case !utf8.ValidString(s) || errs.HasControl(s, lines):
		v.Add(field, "Remove the special characters from this text.")
	}
}

// Apply records the principal's application, as an individual or on
// behalf of an organisation that the principal will then represent. An
// account has at most one current individual membership or application,
// and an organisation at most one.
func (s *Service) Apply(ctx context.Context, p auth.Principal, a Application) (Member, error) {
	if err := p.RequireSignedIn(); err != nil {
		return Member{}, err
	}
	if p.Has(auth.RoleAuditor) {
		return Member{}, errAuditorApplies
	}
	a = a.normalised()
	if err := a.validate(); err != nil {
		return Member{}, err
	}
	var out Member
	err := db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		if a.Kind == KindIndividual {
			m, found, err := liveIndividual(ctx, tx, p.AccountID)
			if err != nil {
				return err
			}
			if found {
				return errs.Wrap(errs.Conflict, "You %s, so you cannot apply again as an individual.", standing(m))
			}
		} else {
			_, found, err := liveOrganisation(ctx, tx, a.Country, a.Name)
			if err != nil {
				return err
			}
			if found {
				return errs.Wrap(errs.Conflict, "%s in %s is already a member or has already applied.", a.Name, CountryName(a.Country))
			}
		}
		now := s.clock.Now()
		id, err := insertApplicant(ctx, tx, p.AccountID, a, now)
		if db.IsUniqueViolation(err) {
			return errs.Wrap(errs.Conflict, "This application has already been made.")
		}
		if db.ViolatesRule(err, auth.AuditorIndependent) {
			return errAuditorApplies
		}
		if err != nil {
			return err
		}
		if err := insertStatusChange(ctx, tx, id, StatusApplicant, now, now, p.Actor(), ""); err != nil {
			return err
		}
		if out, err = getMember(ctx, tx, id, false); err != nil {
			return err
		}
		if err := mail.Enqueue(ctx, tx, now, s.applicationReceived(out)); err != nil {
			return fmt.Errorf("members: apply: %w", err)
		}
		_, err = s.audit.Append(ctx, tx, audit.Event{
			ActorAccountID: p.Actor(), Action: "member.applied", Subject: subject(id),
			Payload: map[string]any{"kind": a.Kind, "country": a.Country},
		})
		return err
	})
	return out, err
}

// An auditor reads everything and changes nothing (SPEC.md), so acts for
// no member; the schema holds the rule too (auth.AuditorIndependent).
var errAuditorApplies = errs.Wrap(errs.Conflict, "You are an auditor of the co-op, and an auditor reads everything and changes nothing, so cannot apply for membership or act for a member. Ask an admin to revoke the auditor role first if you are no longer an auditor.")

func auditorRepresents(acc auth.Account) error {
	var v errs.Validation
	v.Add("email", "%s is an auditor of the co-op, and an auditor reads everything and changes nothing, so cannot represent a member.", acc.Name)
	return v.Err()
}

// standing says where a member stands, for messages to them.
func standing(m Member) string {
	switch m.Status {
	case StatusApplicant:
		return "have already applied"
	case StatusSuspended:
		return "are a member (suspended at present)"
	default:
		return "are already a member"
	}
}

// Get returns a member without any access check, for other domains of Osk.
func (s *Service) Get(ctx context.Context, id int64) (Member, error) {
	return getMember(ctx, s.db, id, false)
}

// GetAs returns a member to the principal: the board and auditors see
// everyone, and anyone else only the members they act for (ErrNotFound for
// the others, so that nothing leaks).
func (s *Service) GetAs(ctx context.Context, p auth.Principal, id int64) (Member, error) {
	if err := p.RequireSignedIn(); err != nil {
		return Member{}, err
	}
	m, err := s.Get(ctx, id)
	if err != nil {
		return Member{}, err
	}
	if !m.ActsFor(p.AccountID) && !p.HasAny(auth.RoleBoard, auth.RoleAuditor) {
		return Member{}, ErrNotFound
	}
	return m, nil
}

// ownOrBoard allows what the member (or an organisation's representative)
// and the board may do. An auditor sees the member and is refused; anyone
// else is told there is no such member.
func ownOrBoard(p auth.Principal, m Member) error {
	switch {
	case m.ActsFor(p.AccountID) || p.Has(auth.RoleBoard):
		return nil
	case p.Has(auth.RoleAuditor):
		return errs.Wrap(errs.Forbidden, "Only the member or the board can do this.")
	default:
		return ErrNotFound
	}
}

// GetOwnOrBoard returns a member to the principal if the principal may
// change it as the member or as the board: the form of a resignation or
// of contact details.
func (s *Service) GetOwnOrBoard(ctx context.Context, p auth.Principal, id int64) (Member, error) {
	if err := p.RequireSignedIn(); err != nil {
		return Member{}, err
	}
	m, err := s.Get(ctx, id)
	if err != nil {
		return Member{}, err
	}
	if err := ownOrBoard(p, m); err != nil {
		return Member{}, err
	}
	return m, nil
}

// GetForBoard returns a member to a board member, for the forms of the
// board's decisions.
func (s *Service) GetForBoard(ctx context.Context, p auth.Principal, id int64) (Member, error) {
	if err := p.RequireAny(auth.RoleBoard); err != nil {
		return Member{}, err
	}
	return s.Get(ctx, id)
}

// Mine returns the members the principal acts for.
func (s *Service) Mine(ctx context.Context, p auth.Principal) ([]Member, error) {
	if err := p.RequireSignedIn(); err != nil {
		return nil, err
	}
	return s.ActingFor(ctx, p.AccountID)
}

// ActingFor returns the members the account acts for, whatever their
// status: its own individual memberships and applications and the
// organisations it represents, oldest first.
func (s *Service) ActingFor(ctx context.Context, accountID int64) ([]Member, error) {
	ms, err := selectMembers(ctx, s.db, `SELECT `+memberColumns+` FROM members m WHERE m.account_id = $1 ORDER BY m.id`, accountID)
	if err != nil {
		return nil, fmt.Errorf("members: acting for %d: %w", accountID, err)
	}
	return ms, nil
}

// ActiveActingFor returns the active members an account acts for: those
// whose rights (to attend, vote, propose, read the archive) it exercises.
func (s *Service) ActiveActingFor(ctx context.Context, accountID int64) ([]Member, error) {
	ms, err := selectMembers(ctx, s.db, `SELECT `+memberColumns+` FROM members m
		WHERE m.account_id = $1 AND m.status = $2 ORDER BY m.id`, accountID, StatusActive)
	if err != nil {
		return nil, fmt.Errorf("members: active acting for %d: %w", accountID, err)
	}
	return ms, nil
}

// IndividualOf returns the account's individual membership: the current
// one, or else the latest; nil when the account never applied as an
// individual.
func (s *Service) IndividualOf(ctx context.Context, accountID int64) (*Member, error) {
	ms, err := selectMembers(ctx, s.db, `SELECT `+memberColumns+` FROM members m
		WHERE m.account_id = $1 AND m.kind = 'individual'
		ORDER BY m.status IN `+liveStatuses+` DESC, m.id DESC LIMIT 1`, accountID)
	if err != nil {
		return nil, fmt.Errorf("members: individual of %d: %w", accountID, err)
	}
	if len(ms) == 0 {
		return nil, nil
	}
	return &ms[0], nil
}

// ActiveCount returns the number of active members now.
func (s *Service) ActiveCount(ctx context.Context) (int, error) {
	var n int
	if err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM members WHERE status = 'active'`); err != nil {
		return 0, fmt.Errorf("members: count active: %w", err)
	}
	return n, nil
}

// ActiveMembers returns every active member with what a notice needs, in
// order of member number, in one query.
func (s *Service) ActiveMembers(ctx context.Context) ([]Summary, error) {
	return activeSummaries(ctx, s.db)
}

// StatusAt returns the member's status in force at t, from the status
// history: "" before the application. A backdated resignation counts from
// its date of effect.
func (s *Service) StatusAt(ctx context.Context, id int64, t time.Time) (string, error) {
	if _, err := s.Get(ctx, id); err != nil {
		return "", err
	}
	return statusAt(ctx, s.db, id, t)
}

// ActiveAt reports whether the member was active at t: admitted by then,
// not suspended and not yet gone.
func (s *Service) ActiveAt(ctx context.Context, id int64, t time.Time) (bool, error) {
	status, err := s.StatusAt(ctx, id, t)
	return status == StatusActive, err
}

// ActiveIDsAt returns the ids of the members who were active at t, in
// order: the voting list of a record date.
func (s *Service) ActiveIDsAt(ctx context.Context, t time.Time) ([]int64, error) {
	return activeIDsAt(ctx, s.db, t)
}

// DayStart returns the moment a day of the co-op's calendar begins.
func (s *Service) DayStart(year int, month time.Month, day int) time.Time {
	return time.Date(year, month, day, 0, 0, 0, 0, s.zone).UTC()
}

// ListFilter selects a page of the register.
type ListFilter struct {
	Status string
	Kind   string
	// Q matches part of a name or an email address, or a member number.
	Q      string
	Cursor string
	// Limit is the page size: 50 when 0, at most 500.
	Limit int
}

type listFilter struct {
	Status, Kind, Q string
	After           *cursor
	Limit           int
}

// Page is one page of the register; NextCursor is nil on the last.
type Page struct {
	Items      []Member `json:"items"`
	NextCursor *string  `json:"next_cursor"`
}

// List returns a page of the register to the board and auditors, in order
// of member number with applicants last.
func (s *Service) List(ctx context.Context, p auth.Principal, f ListFilter) (Page, error) {
	if err := p.RequireAny(auth.RoleBoard, auth.RoleAuditor); err != nil {
		return Page{}, err
	}
	lf := listFilter{Status: strings.TrimSpace(f.Status), Kind: strings.TrimSpace(f.Kind), Q: strings.TrimSpace(f.Q), Limit: f.Limit}
	var v errs.Validation
	if lf.Status != "" && !slices.Contains(Statuses, lf.Status) {
		v.Add("status", "Choose one of: %s.", strings.Join(Statuses, ", "))
	}
	if lf.Kind != "" && !slices.Contains(Kinds, lf.Kind) {
		v.Add("kind", "Choose one of: %s.", strings.Join(Kinds, ", "))
	}
	switch {
	case utf8.RuneCountInString(lf.Q) > maxQuery:
		v.Add("q", "Search for at most %d characters.", maxQuery)
	case !utf8.ValidString(lf.Q) || errs.HasControl(lf.Q, false):
		v.Add("q", "Remove the special characters from the search.")
	}
	if f.Cursor != "" {
		c, ok := parseCursor(f.Cursor)
		if !ok {
			v.Add("cursor", "This cursor is not one Osk gave; start again from the first page.")
		}
		lf.After = &c
	}
	switch {
	case lf.Limit == 0:
		lf.Limit = defaultLimit
	case lf.Limit < 0, lf.Limit > maxListLimit:
		v.Add("limit", "Ask for 1 to %d items.", maxListLimit)
	}
	if err := v.Err(); err != nil {
		return Page{}, err
	}
	query, args := listQuery(lf)
	items, err := selectMembers(ctx, s.db, query, args...)
	if err != nil {
		return Page{}, fmt.Errorf("members: list: %w", err)
	}
	page := Page{Items: items}
	if len(items) > lf.Limit {
		page.Items = items[:lf.Limit]
		next := keyOf(page.Items[lf.Limit-1]).String()
		page.NextCursor = &next
	}
	return page, nil
}

// Counts returns how many entries of the register have each status.
func (s *Service) Counts(ctx context.Context, p auth.Principal) (map[string]int, error) {
	if err := p.RequireAny(auth.RoleBoard, auth.RoleAuditor); err != nil {
		return nil, err
	}
	return statusCounts(ctx, s.db)
}

// boardDecision opens a board decision on a member: it checks the role,
// locks the member and refuses a board member deciding on a member they
// act for, since nobody decides their own case.
func boardDecision(ctx context.Context, tx *sqlx.Tx, p auth.Principal, id int64) (Member, error) {
	m, err := getMember(ctx, tx, id, true)
	if err != nil {
		return Member{}, err
	}
	if m.ActsFor(p.AccountID) {
		return Member{}, errs.Wrap(errs.Forbidden, "You act for this member, so another board member must decide this.")
	}
	return m, nil
}

// Admission is the board's decision to admit an applicant.
type Admission struct {
	// Decision refers to the board's minutes, e.g. "Board 2025/4 §6".
	Decision string
	// ShareDue is the share contribution due, such as "50.00"; empty
	// means the default of Config.ShareDefault.
	ShareDue string
}

// Admit makes an applicant an active member with the next member number.
// Numbers are gapless and never reused: they come from one counter row,
// locked by this transaction until it commits.
func (s *Service) Admit(ctx context.Context, p auth.Principal, id int64, a Admission) (Member, error) {
	if err := p.RequireAny(auth.RoleBoard); err != nil {
		return Member{}, err
	}
	var v errs.Validation
	a.Decision = strings.TrimSpace(a.Decision)
	checkText(&v, "decision", a.Decision, maxDecision, false)
	due, currency := strings.TrimSpace(a.ShareDue), DefaultShareCurrency
	if due != "" {
		if _, ok := parseCents(due); !ok {
			v.Add("share_due", "Enter an amount such as 50.00.")
		}
	}
	if err := v.Err(); err != nil {
		return Member{}, err
	}
	if due == "" {
		var err error
		if due, currency, err = s.shareDefault(ctx); err != nil {
			return Member{}, err
		}
	}
	cents, _ := parseCents(due)
	due = formatCents(cents)
	var out Member
	err := db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		m, err := boardDecision(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if m.Status != StatusApplicant {
			return refuse(admitMove, m)
		}
		now := s.clock.Now()
		no, err := nextMemberNo(ctx, tx)
		if err != nil {
			return err
		}
		if err := setAdmitted(ctx, tx, id, no, now, due, currency); err != nil {
			return err
		}
		if err := insertStatusChange(ctx, tx, id, StatusActive, now, now, p.Actor(), a.Decision); err != nil {
			return err
		}
		if out, err = getMember(ctx, tx, id, false); err != nil {
			return err
		}
		if err := mail.Enqueue(ctx, tx, now, s.admitted(out)); err != nil {
			return fmt.Errorf("members: admit: %w", err)
		}
		_, err = s.audit.Append(ctx, tx, audit.Event{
			ActorAccountID: p.Actor(), Action: "member.admitted", Subject: subject(id),
			Payload: map[string]any{"member_no": no, "decision": a.Decision, "share_due": due, "currency": currency},
		})
		return err
	})
	return out, err
}

func (s *Service) shareDefault(ctx context.Context) (string, string, error) {
	if s.cfg.ShareDefault == nil {
		return DefaultShareDue, DefaultShareCurrency, nil
	}
	amount, currency, err := s.cfg.ShareDefault(ctx)
	if err != nil {
		return "", "", fmt.Errorf("members: default share contribution: %w", err)
	}
	if _, ok := parseCents(amount); !ok {
		return "", "", fmt.Errorf("members: default share contribution %q is not an amount", amount)
	}
	return amount, currency, nil
}

// move is one transition of the life cycle (SPEC.md, "Members").
type move struct {
	name   string   // the verb of the pages and the API
	action string   // the audit action
	from   []string // the statuses it starts from
	to     string
	// refusal completes "…; this member is <status>." when the member is
	// in another status.
	refusal string
}

var (
	admitMove     = move{"admit", "member.admitted", []string{StatusApplicant}, StatusActive, "Only an applicant can be admitted"}
	rejectMove    = move{"reject", "member.rejected", []string{StatusApplicant}, StatusRejected, "Only an application can be rejected"}
	suspendMove   = move{"suspend", "member.suspended", []string{StatusActive}, StatusSuspended, "Only an active member can be suspended"}
	reinstateMove = move{"reinstate", "member.reinstated", []string{StatusSuspended}, StatusActive, "Only a suspended member can be reinstated"}
	expelMove     = move{"expel", "member.expelled", []string{StatusActive, StatusSuspended}, StatusExpelled, "Only an active or suspended member can be expelled"}
	resignMove    = move{"resign", "member.resigned", []string{StatusActive, StatusSuspended}, StatusResigned, "Only an active or suspended member can resign"}
)

// Can reports whether the member's status allows the transition named
// ("admit", "reject", "suspend", "reinstate", "expel", "resign"), for
// pages that offer only what can be done.
func (m Member) Can(name string) bool {
	for _, mv := range []move{admitMove, rejectMove, suspendMove, reinstateMove, expelMove, resignMove} {
		if mv.name == name {
			return !m.Erased() && slices.Contains(mv.from, m.Status)
		}
	}
	return false
}

func refuse(mv move, m Member) error {
	return errs.Wrap(errs.Conflict, "%s; this member is %s.", mv.refusal, statusInSentence(m.Status))
}

// statusInSentence says a status after "this member is".
func statusInSentence(status string) string {
	switch status {
	case StatusApplicant:
		return "an applicant"
	case StatusRejected:
		return "an applicant who was not accepted"
	}
	return status
}

// Reject turns down an application, with the reason the applicant is
// told.
func (s *Service) Reject(ctx context.Context, p auth.Principal, id int64, reason string) (Member, error) {
	return s.decide(ctx, p, id, rejectMove, reason)
}

// Suspend suspends an active member's rights, with a reason.
func (s *Service) Suspend(ctx context.Context, p auth.Principal, id int64, reason string) (Member, error) {
	return s.decide(ctx, p, id, suspendMove, reason)
}

// Reinstate gives a suspended member their rights back, with a reason.
func (s *Service) Reinstate(ctx context.Context, p auth.Principal, id int64, reason string) (Member, error) {
	return s.decide(ctx, p, id, reinstateMove, reason)
}

// Expel ends a membership by the board's decision, with a reason.
func (s *Service) Expel(ctx context.Context, p auth.Principal, id int64, reason string) (Member, error) {
	return s.decide(ctx, p, id, expelMove, reason)
}

// decide makes a board decision that needs a reason.
func (s *Service) decide(ctx context.Context, p auth.Principal, id int64, mv move, reason string) (Member, error) {
	if err := p.RequireAny(auth.RoleBoard); err != nil {
		return Member{}, err
	}
	reason = strings.TrimSpace(reason)
	var out Member
	err := db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		// The member must exist and the move fit before the reason is
		// asked for: a decision that cannot be made needs no reason.
		m, err := boardDecision(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if !slices.Contains(mv.from, m.Status) {
			return refuse(mv, m)
		}
		var v errs.Validation
		if reason == "" {
			v.Add("reason", "Give the reason: the member is told it.")
		}
		checkText(&v, "reason", reason, maxReason, true)
		if err := v.Err(); err != nil {
			return err
		}
		now := s.clock.Now()
		var left *time.Time
		if mv.to == StatusExpelled {
			left = &now
		}
		if err := setStatus(ctx, tx, id, mv.to, left); err != nil {
			return err
		}
		if err := insertStatusChange(ctx, tx, id, mv.to, now, now, p.Actor(), reason); err != nil {
			return err
		}
		if out, err = getMember(ctx, tx, id, false); err != nil {
			return err
		}
		if err := mail.Enqueue(ctx, tx, now, s.decided(out, mv, reason)); err != nil {
			return fmt.Errorf("members: %s: %w", mv.name, err)
		}
		_, err = s.audit.Append(ctx, tx, audit.Event{
			ActorAccountID: p.Actor(), Action: mv.action, Subject: subject(id),
			Payload: map[string]any{"from": m.Status, "to": mv.to, "reason": reason},
		})
		return err
	})
	return out, err
}

// Resignation is a member's notice of leaving.
type Resignation struct {
	// EffectiveOn is the day it takes effect, "YYYY-MM-DD" in the co-op's
	// calendar; empty means now. Under the Co-operatives Act a
	// resignation takes effect when it is given, so a member resigns from
	// today; the board may record one given on an earlier day.
	EffectiveOn string
}

// Resign ends a membership at the member's request. The member (or the
// representative of an organisation) and the board may record it.
func (s *Service) Resign(ctx context.Context, p auth.Principal, id int64, r Resignation) (Member, error) {
	if err := p.RequireSignedIn(); err != nil {
		return Member{}, err
	}
	var (
		day    time.Time
		hasDay bool
		v      errs.Validation
	)
	if on := strings.TrimSpace(r.EffectiveOn); on != "" {
		d, err := time.ParseInLocation(time.DateOnly, on, s.zone)
		if err != nil {
			v.Add("effective_on", "Enter the date as YYYY-MM-DD, for example 2026-03-01.")
		}
		day, hasDay = d, err == nil
	}
	if err := v.Err(); err != nil {
		return Member{}, err
	}
	var out Member
	err := db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		m, err := getMember(ctx, tx, id, true)
		if err != nil {
			return err
		}
		if err := ownOrBoard(p, m); err != nil {
			return err
		}
		own, board := m.ActsFor(p.AccountID), p.Has(auth.RoleBoard)
		if !slices.Contains(resignMove.from, m.Status) {
			return refuse(resignMove, m)
		}
		now := s.clock.Now()
		effective := now
		if hasDay {
			today := dayOf(now, s.zone)
			switch {
			case day.After(today):
				v.Add("effective_on", "A resignation takes effect when it is given: enter today's date or an earlier one.")
			case day.Before(today) && !board:
				v.Add("effective_on", "You can resign from today; only the board can record a resignation given earlier.")
			case day.Before(today) && own:
				// Dating one's own departure back could move it before a
				// meeting one attended, as deciding on oneself would.
				v.Add("effective_on", "You act for this member, so another board member must record a resignation given earlier.")
			case day.Before(today):
				effective = day.UTC()
			}
		}
		last, err := lastStatusChange(ctx, tx, id)
		if err != nil {
			return err
		}
		if effective.Before(last) {
			v.Add("effective_on", "The resignation cannot take effect before the member's last change of status, at %s.",
				last.In(s.zone).Format("2006-01-02 15:04 MST"))
		}
		if err := v.Err(); err != nil {
			return err
		}
		if err := setStatus(ctx, tx, id, StatusResigned, &effective); err != nil {
			return err
		}
		note := "Resigned."
		if !own {
			note = "Resignation recorded by the board."
		}
		if err := insertStatusChange(ctx, tx, id, StatusResigned, effective, now, p.Actor(), note); err != nil {
			return err
		}
		if out, err = getMember(ctx, tx, id, false); err != nil {
			return err
		}
		effectiveOn := effective.In(s.zone).Format(time.DateOnly)
		if err := mail.Enqueue(ctx, tx, now, s.resigned(out, effectiveOn)); err != nil {
			return fmt.Errorf("members: resign: %w", err)
		}
		_, err = s.audit.Append(ctx, tx, audit.Event{
			ActorAccountID: p.Actor(), Action: resignMove.action, Subject: subject(id),
			Payload: map[string]any{"from": m.Status, "effective_on": effectiveOn, "by_member": own},
		})
		return err
	})
	return out, err
}

func dayOf(t time.Time, zone *time.Location) time.Time {
	y, mo, d := t.In(zone).Date()
	return time.Date(y, mo, d, 0, 0, 0, 0, zone)
}

// ContactChange holds the contact details to change; nil fields stay.
type ContactChange struct {
	Name    *string
	Email   *string
	Address *string
	Country *string
}

// UpdateContact changes a member's contact details. The member (or an
// organisation's representative) and the board may change them; the audit
// event names the fields changed but not their values, which are personal
// data that an erasure must be able to remove.
func (s *Service) UpdateContact(ctx context.Context, p auth.Principal, id int64, c ContactChange) (Member, error) {
	if err := p.RequireSignedIn(); err != nil {
		return Member{}, err
	}
	var out Member
	err := db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		m, err := getMember(ctx, tx, id, true)
		if err != nil {
			return err
		}
		if err := ownOrBoard(p, m); err != nil {
			return err
		}
		own := m.ActsFor(p.AccountID)
		if m.Erased() {
			return errs.Wrap(errs.Conflict, "This former member's personal data has been erased.")
		}
		next, changed, err := m.withContact(c)
		if err != nil {
			return err
		}
		out = next
		if len(changed) == 0 {
			return nil
		}
		if next.Kind == KindOrganisation && (next.Name != m.Name || next.Country != m.Country) {
			other, found, err := liveOrganisation(ctx, tx, next.Country, next.Name)
			if err != nil {
				return err
			}
			if found && other.ID != m.ID {
				return errNameTaken(next)
			}
		}
		err = updateContact(ctx, tx, next)
		if db.IsUniqueViolation(err) {
			return errNameTaken(next)
		}
		if err != nil {
			return err
		}
		now := s.clock.Now()
		msgs := []mail.Message{s.contactChanged(next, changed)}
		if next.Email != m.Email {
			// The old address hears of it too, in case someone else made
			// the change.
			msgs = append(msgs, s.contactChanged(m, changed))
		}
		if err := mail.Enqueue(ctx, tx, now, msgs...); err != nil {
			return fmt.Errorf("members: update contact: %w", err)
		}
		_, err = s.audit.Append(ctx, tx, audit.Event{
			ActorAccountID: p.Actor(), Action: "member.contact_changed", Subject: subject(id),
			Payload: map[string]any{"fields": changed, "by_member": own},
		})
		return err
	})
	return out, err
}

// errNameTaken refuses an organisation the name of another one in its
// country that is a member or has applied: the register could no longer
// tell them apart.
func errNameTaken(m Member) error {
	return errs.Wrap(errs.Conflict, "%s in %s is already a member or has already applied: choose another name.", m.Name, CountryName(m.Country))
}

// withContact returns the member with the changes applied and the names of
// the fields that changed.
func (m Member) withContact(c ContactChange) (Member, []string, error) {
	var v errs.Validation
	var changed []string
	// A form sends the name back unchanged with every change of contact;
	// one stored before today's rules on names must not block the others.
	if c.Name != nil && *c.Name != m.Name {
		name := cleanName(*c.Name)
		checkName(&v, name, m.Kind == KindOrganisation)
		if name != m.Name {
			m.Name = name
			changed = append(changed, "name")
		}
	}
	if c.Email != nil {
		email, err := auth.ValidateEmail(*c.Email)
		if err != nil {
			v.Add("email", "%s", err.Error())
		} else if email != m.Email {
			m.Email = email
			changed = append(changed, "email")
		}
	}
	if c.Address != nil {
		address := strings.TrimSpace(*c.Address)
		checkText(&v, "address", address, maxAddress, true)
		if address != m.Address {
			m.Address = address
			changed = append(changed, "address")
		}
	}
	if c.Country != nil {
		country := strings.ToUpper(strings.TrimSpace(*c.Country))
		checkCountry(&v, country)
		if country != m.Country {
			m.Country = country
			changed = append(changed, "country")
		}
	}
	if err := v.Err(); err != nil {
		return Member{}, nil, err
	}
	return m, changed, nil
}

// Representative names the account that is to act for an organisation:
// by email, or by id when Email is empty.
type Representative struct {
	AccountID int64
	Email     string
}

// ChangeRepresentative makes another account the representative of an
// organisation member (SPEC.md: a board action, audited).
func (s *Service) ChangeRepresentative(ctx context.Context, p auth.Principal, id int64, r Representative) (Member, error) {
	if err := p.RequireAny(auth.RoleBoard); err != nil {
		return Member{}, err
	}
	acc, err := s.representativeAccount(ctx, r)
	if err != nil {
		return Member{}, err
	}
	rep, err := s.accounts.Principal(ctx, acc.ID)
	if err != nil {
		return Member{}, err
	}
	if rep.Has(auth.RoleAuditor) {
		return Member{}, auditorRepresents(acc)
	}
	var out Member
	err = db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		m, err := boardDecision(ctx, tx, p, id)
		if err != nil {
			return err
		}
		switch {
		case m.Kind != KindOrganisation:
			return errs.Wrap(errs.Conflict, "Only an organisation has a representative; an individual member acts for themself.")
		case m.Erased():
			return errs.Wrap(errs.Conflict, "This former member's personal data has been erased.")
		case m.ActsFor(acc.ID):
			return errs.Wrap(errs.Conflict, "%s already represents %s.", acc.Name, m.Name)
		case acc.ID == p.AccountID:
			return errs.Wrap(errs.Forbidden, "You cannot make yourself %s's representative: another board member must decide this.", m.Name)
		}
		err = setAccount(ctx, tx, id, acc.ID)
		if db.ViolatesRule(err, auth.AuditorIndependent) {
			return auditorRepresents(acc)
		}
		if err != nil {
			return err
		}
		if m.AccountID != nil {
			for _, hand := range s.handOvers {
				if err := hand(ctx, tx, id, *m.AccountID, acc.ID); err != nil {
					return err
				}
			}
		}
		if out, err = getMember(ctx, tx, id, false); err != nil {
			return err
		}
		msgs := []mail.Message{s.representativeChanged(out, acc)}
		if !strings.EqualFold(acc.Email, out.Email) {
			msgs = append(msgs, s.representativeAppointed(out, acc))
		}
		if m.AccountID != nil {
			from, err := s.accounts.Account(ctx, *m.AccountID)
			if err != nil {
				return err
			}
			msgs = append(msgs, s.representativeReplaced(out, from, acc))
		}
		now := s.clock.Now()
		if err := mail.Enqueue(ctx, tx, now, msgs...); err != nil {
			return fmt.Errorf("members: change representative: %w", err)
		}
		_, err = s.audit.Append(ctx, tx, audit.Event{
			ActorAccountID: p.Actor(), Action: "member.representative_changed", Subject: subject(id),
			Payload: map[string]any{"from_account_id": m.AccountID, "to_account_id": acc.ID},
		})
		return err
	})
	return out, err
}

func (s *Service) representativeAccount(ctx context.Context, r Representative) (auth.Account, error) {
	var v errs.Validation
	if email := strings.TrimSpace(r.Email); email != "" {
		acc, err := s.accounts.AccountToEntrust(ctx, email)
		if err == nil {
			return acc, nil
		}
		if !errors.Is(err, errs.NotFound) && !errors.Is(err, errs.Invalid) && !errors.Is(err, errs.Conflict) {
			return auth.Account{}, err
		}
		v.Add("email", "%s", errs.Message(err))
		return auth.Account{}, v.Err()
	}
	if r.AccountID <= 0 {
		v.Add("email", "Enter the email address of the new representative's account.")
		return auth.Account{}, v.Err()
	}
	acc, err := s.accounts.Account(ctx, r.AccountID)
	if errors.Is(err, errs.NotFound) {
		v.Add("account_id", "There is no account with this id.")
		return auth.Account{}, v.Err()
	}
	return acc, err
}

// ShareEntry is a share contribution paid in or returned.
type ShareEntry struct {
	// Kind is ShareKindPayment (the default) or ShareKindRefund.
	Kind string
	// Amount is a positive decimal such as "50.00".
	Amount string
	// PaidOn is the day of payment, "YYYY-MM-DD", not in the future.
	PaidOn string
	Note   string
}

// RecordShare records a share contribution paid in or returned to the
// member, and keeps the member's total paid.
func (s *Service) RecordShare(ctx context.Context, p auth.Principal, id int64, e ShareEntry) (SharePayment, error) {
	if err := p.RequireAny(auth.RoleBoard); err != nil {
		return SharePayment{}, err
	}
	e.Kind = strings.TrimSpace(e.Kind)
	if e.Kind == "" {
		e.Kind = ShareKindPayment
	}
	e.Amount, e.PaidOn, e.Note = strings.TrimSpace(e.Amount), strings.TrimSpace(e.PaidOn), strings.TrimSpace(e.Note)
	var v errs.Validation
	if e.Kind != ShareKindPayment && e.Kind != ShareKindRefund {
		v.Add("kind", "Choose %s or %s.", ShareKindPayment, ShareKindRefund)
	}
	cents, ok := parseCents(e.Amount)
	if !ok || cents == 0 {
		v.Add("amount", "Enter an amount greater than zero, such as 50.00.")
	}
	e.Amount = formatCents(cents)
	if d, err := time.ParseInLocation(time.DateOnly, e.PaidOn, s.zone); err != nil {
		v.Add("paid_on", "Enter the date of payment as YYYY-MM-DD, for example 2026-03-01.")
	} else if d.After(dayOf(s.clock.Now(), s.zone)) {
		v.Add("paid_on", "The date of payment cannot be in the future.")
	} else if d.Year() < earliestPaymentYear {
		// Payments from a register kept before Osk may be recorded, but
		// not from before the co-operative movement: such a year is a
		// slip of the keyboard.
		v.Add("paid_on", "Enter a date from the year %d on.", earliestPaymentYear)
	}
	checkText(&v, "note", e.Note, maxNote, false)
	if err := v.Err(); err != nil {
		return SharePayment{}, err
	}
	var out SharePayment
	err := db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		m, err := boardDecision(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if m.Erased() {
			return errs.Wrap(errs.Conflict, "This former member's personal data has been erased.")
		}
		paid, _ := parseCents(m.SharePaid)
		if e.Kind == ShareKindRefund && cents > paid {
			return errs.Wrap(errs.Conflict, "Only %s %s has been paid; a refund cannot be more.", m.SharePaid, m.ShareCurrency)
		}
		if e.Kind == ShareKindPayment && paid+cents > maxCents {
			v.Add("amount", "With this payment the total paid would be more than %s %s, the most the register holds.", formatCents(maxCents), m.ShareCurrency)
			return v.Err()
		}
		now := s.clock.Now()
		out, err = insertPayment(ctx, tx, id, e, now, p.Actor())
		if err != nil {
			return err
		}
		if err := mail.Enqueue(ctx, tx, now, s.shareRecorded(m, e)); err != nil {
			return fmt.Errorf("members: record share: %w", err)
		}
		action := "member.share_paid"
		if e.Kind == ShareKindRefund {
			action = "member.share_refunded"
		}
		_, err = s.audit.Append(ctx, tx, audit.Event{
			ActorAccountID: p.Actor(), Action: action, Subject: subject(id),
			Payload: map[string]any{"payment_id": out.ID, "amount": e.Amount, "currency": m.ShareCurrency, "paid_on": e.PaidOn},
		})
		return err
	})
	return out, err
}

// SetShareDue changes the share contribution due from a member.
func (s *Service) SetShareDue(ctx context.Context, p auth.Principal, id int64, amount string) (Member, error) {
	if err := p.RequireAny(auth.RoleBoard); err != nil {
		return Member{}, err
	}
	cents, ok := parseCents(strings.TrimSpace(amount))
	if !ok {
		var v errs.Validation
		v.Add("amount", "Enter an amount such as 50.00, or 0.00 for none.")
		return Member{}, v.Err()
	}
	amount = formatCents(cents)
	var out Member
	err := db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		m, err := boardDecision(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if m.Erased() {
			return errs.Wrap(errs.Conflict, "This former member's personal data has been erased.")
		}
		out = m
		if m.ShareDue == amount {
			return nil
		}
		if err := setShareDue(ctx, tx, id, amount); err != nil {
			return err
		}
		if out, err = getMember(ctx, tx, id, false); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, audit.Event{
			ActorAccountID: p.Actor(), Action: "member.share_due_changed", Subject: subject(id),
			Payload: map[string]any{"from": m.ShareDue, "to": amount, "currency": m.ShareCurrency},
		})
		return err
	})
	return out, err
}

// Erase removes the personal data of a former member (or a rejected
// applicant) at their request, leaving a tombstone that keeps the member
// number, the status history and the share record. It is refused while
// the co-op still holds the member's share contribution, since the
// register must show to whom it is owed.
func (s *Service) Erase(ctx context.Context, p auth.Principal, id int64) (Member, error) {
	if err := p.RequireAny(auth.RoleBoard); err != nil {
		return Member{}, err
	}
	var out Member
	err := db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		m, err := boardDecision(ctx, tx, p, id)
		if err != nil {
			return err
		}
		switch paid, _ := parseCents(m.SharePaid); {
		case m.Erased():
			return errs.Wrap(errs.Conflict, "This former member's personal data has already been erased.")
		case !m.Former():
			return errs.Wrap(errs.Conflict, "Only a former member's or a rejected applicant's personal data can be erased; this member is %s.", statusInSentence(m.Status))
		case paid != 0:
			return errs.Wrap(errs.Conflict, "The co-op still holds %s %s of this member's share contribution: record its refund first.", m.SharePaid, m.ShareCurrency)
		}
		now := s.clock.Now()
		if err := eraseMember(ctx, tx, id, now); err != nil {
			return err
		}
		if err := mail.ForgetMember(ctx, tx, id); err != nil {
			return err
		}
		if out, err = getMember(ctx, tx, id, false); err != nil {
			return err
		}
		payload := map[string]any{"status": m.Status}
		if m.MemberNo != nil {
			payload["member_no"] = *m.MemberNo
		}
		_, err = s.audit.Append(ctx, tx, audit.Event{
			ActorAccountID: p.Actor(), Action: "member.erased", Subject: subject(id), Payload: payload,
		})
		return err
	})
	return out, err
}

// History is a member's full record: the entry, every status with who
// changed it and why, the share contributions, and the audit events.
type History struct {
	Member   Member         `json:"member"`
	Statuses []StatusChange `json:"status_history"`
	Payments []SharePayment `json:"share_payments"`
	Events   []audit.Entry  `json:"events"`
	// names holds the names of the accounts that acted, for pages.
	names map[int64]string
}

// ActorName names the account that made a change.
func (h History) ActorName(id *int64) string {
	if id == nil {
		return "Osk"
	}
	if n, ok := h.names[*id]; ok {
		return n
	}
	return "account " + strconv.FormatInt(*id, 10)
}

// History returns a member's full record to the board, auditors and the
// member.
func (s *Service) History(ctx context.Context, p auth.Principal, id int64) (History, error) {
	m, err := s.GetAs(ctx, p, id)
	if err != nil {
		return History{}, err
	}
	h := History{Member: m, names: map[int64]string{}}
	if h.Statuses, err = statusHistory(ctx, s.db, id); err != nil {
		return History{}, err
	}
	if h.Payments, err = sharePayments(ctx, s.db, id); err != nil {
		return History{}, err
	}
	h.Events = []audit.Entry{}
	f := audit.Filter{Subject: subject(id), Limit: audit.MaxListLimit}
	for len(h.Events) < maxHistoryLen {
		batch, err := audit.List(ctx, s.db, f)
		if err != nil {
			return History{}, fmt.Errorf("members: history of %d: %w", id, err)
		}
		h.Events = append(h.Events, batch...)
		if len(batch) < f.Limit {
			break
		}
		f.AfterSeq = batch[len(batch)-1].Seq
	}
	var actors []*int64
	for _, c := range h.Statuses {
		actors = append(actors, c.ActorAccountID)
	}
	for _, pay := range h.Payments {
		actors = append(actors, pay.ActorAccountID)
	}
	for _, e := range h.Events {
		actors = append(actors, e.ActorAccountID)
	}
	for _, a := range actors {
		// The erased entry's own account most often made some of its
		// changes, and keeps its name: naming accounts would name the
		// person again. The numbers still tell the changes apart.
		if a == nil || m.Erased() {
			continue
		}
		if _, done := h.names[*a]; done {
			continue
		}
		acc, err := s.accounts.Account(ctx, *a)
		if err != nil {
			return History{}, err
		}
		h.names[*a] = acc.Name
	}
	return h, nil
}

// AccountName returns the name of an account, for pages naming an
// organisation's representative.
func (s *Service) AccountName(ctx context.Context, id int64) (string, error) {
	acc, err := s.accounts.Account(ctx, id)
	if err != nil {
		return "", err
	}
	return acc.Name, nil
}

var amountPattern = regexp.MustCompile(`^[0-9]{1,10}(\.[0-9]{1,2})?$`)

// maxCents is the largest amount the register's numeric(12,2) columns
// hold, in cents: a single amount and a member's total alike.
const maxCents = 999_999_999_999

const earliestPaymentYear = 1900

// parseCents reads a non-negative decimal amount with at most two
// decimals, as numeric(12,2) holds it, into cents.
func parseCents(s string) (int64, bool) {
	if !amountPattern.MatchString(s) {
		return 0, false
	}
	whole, frac, _ := strings.Cut(s, ".")
	for len(frac) < 2 {
		frac += "0"
	}
	c, err := strconv.ParseInt(whole+frac, 10, 64)
	return c, err == nil
}

func formatCents(c int64) string {
	return fmt.Sprintf("%d.%02d", c/100, c%100)
}
