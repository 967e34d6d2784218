package minutes

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"github.com/citizen-network/osk/internal/audit"
	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/clock"
	"github.com/citizen-network/osk/internal/db"
	"github.com/citizen-network/osk/internal/errs"
	"github.com/citizen-network/osk/internal/mail"
	"github.com/citizen-network/osk/internal/meetings"
	"github.com/citizen-network/osk/internal/members"
	"github.com/citizen-network/osk/internal/rules"
)

// Config holds what the service needs from outside the database.
type Config struct {
	// BaseURL is where Osk is served, for the links in emails.
	BaseURL string
}

// Service holds the rules of minutes.
type Service struct {
	db       *sqlx.DB
	audit    *audit.Log
	clock    clock.Clock
	rules    *rules.Service
	members  *members.Service
	meetings *meetings.Service
	accounts *auth.Service
	record   MeetingRecord
	render   *Renderer
	cfg      Config
}

// NewService returns the minutes service. record pre-fills the minutes
// with the meeting's motions and ballots; with a nil record the draft
// leaves them for the secretary to add.
func NewService(conn *sqlx.DB, log *audit.Log, clk clock.Clock, rulesSvc *rules.Service, membersSvc *members.Service,
	meetingsSvc *meetings.Service, accounts *auth.Service, record MeetingRecord, cfg Config) *Service {
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	return &Service{db: conn, audit: log, clock: clk, rules: rulesSvc, members: membersSvc, meetings: meetingsSvc,
		accounts: accounts, record: record, render: NewRenderer(), cfg: cfg}
}

// now is the time of a change, as PostgreSQL stores it, so that what is
// hashed before the write is what is read back.
func (s *Service) now() time.Time { return s.clock.Now().UTC().Truncate(time.Microsecond) }

// viewer is a principal looking at the minutes of one meeting they may
// see (internal/meetings decides that).
type viewer struct {
	p       auth.Principal
	meeting meetings.Meeting
}

func (s *Service) viewerOf(ctx context.Context, p auth.Principal, meetingID int64) (viewer, error) {
	m, err := s.meetings.GetAs(ctx, p, meetingID)
	if err != nil {
		return viewer{}, err
	}
	return viewer{p: p, meeting: m}, nil
}

// seesDrafts reports whether the viewer reads minutes before they are
// sealed: the meeting's officers, the board and auditors. Members read
// them once sealed.
func (v viewer) seesDrafts() bool {
	return v.meeting.IsOfficer(v.p.AccountID) || v.p.HasAny(auth.RoleBoard, auth.RoleAuditor)
}

// sees reports whether the viewer may see the document, or would see it
// once begun (found false).
func (v viewer) sees(d docRow, found bool) bool {
	return v.seesDrafts() || (found && d.Status == StatusSigned)
}

// signerRole returns the role in which an account signs the meeting's
// minutes, if any.
// refuseAuditor refuses a change to the minutes by an auditor, who reads
// everything and changes nothing (SPEC.md), even one who was made a
// meeting's secretary or checker before becoming an auditor.
func refuseAuditor(p auth.Principal) error {
	if p.Has(auth.RoleAuditor) {
		return errs.Wrap(errs.Forbidden, "An auditor reads everything and changes nothing, so does not write, submit or sign minutes.")
	}
	return nil
}

func signerRole(m meetings.Meeting, accountID int64) (string, bool) {
	switch {
	case m.IsChair(accountID):
		return RoleChair, true
	case m.IsChecker(accountID):
		return RoleChecker, true
	}
	return "", false
}

// refusal is the error for a caller who may not do something to a
// document: not found when they may not even see it.
func refusal(v viewer, d docRow, found bool, message string) error {
	if !v.sees(d, found) {
		return ErrNotFound
	}
	return errs.Wrap(errs.Forbidden, "%s", message)
}

// lookup loads a document for a viewer outside any transaction.
func (s *Service) lookup(ctx context.Context, doc Doc) (docRow, bool, error) {
	d, err := getDoc(ctx, s.db, doc, false)
	if errors.Is(err, errNoDoc) {
		return docRow{}, false, nil
	}
	return d, err == nil, err
}

const (
	notSecretary = "Only the meeting's secretary writes its minutes."
	notSigner    = "Only the meeting's chair and minute checkers sign its minutes or send them back."
)

// Get returns a document as the principal may see it. To the secretary,
// the minutes nobody has begun are the pre-filled first draft, version 0.
func (s *Service) Get(ctx context.Context, p auth.Principal, doc Doc) (Minutes, error) {
	v, err := s.viewerOf(ctx, p, doc.MeetingID)
	if err != nil {
		return Minutes{}, err
	}
	d, found, err := s.lookup(ctx, doc)
	if err != nil {
		return Minutes{}, err
	}
	if !found {
		if doc.Addendum != 0 || !v.meeting.IsSecretary(p.AccountID) {
			return Minutes{}, ErrNotFound
		}
		if err := writable(v.meeting); err != nil {
			return Minutes{}, err
		}
		body, err := s.prefill(ctx, p, v.meeting)
		if err != nil {
			return Minutes{}, err
		}
		signers, err := s.signers(ctx, v.meeting, nil)
		if err != nil {
			return Minutes{}, err
		}
		return Minutes{MeetingID: doc.MeetingID, Status: StatusDraft, Body: body, BodyHash: hex.EncodeToString(BodyHash(body)),
			Signatures: []Signature{}, Signers: signers, Returns: []Return{}, Title: v.meeting.Title}, nil
	}
	if !v.sees(d, true) {
		return Minutes{}, ErrNotFound
	}
	return s.describe(ctx, s.db, v, d)
}

// writable refuses minutes of a meeting whose session has not begun.
func writable(m meetings.Meeting) error {
	switch m.Status {
	case meetings.StatusInSession, meetings.StatusClosed:
		return nil
	case meetings.StatusCancelled:
		return errs.Wrap(errs.Conflict, "The meeting was cancelled: it has no minutes.")
	}
	return errs.Wrap(errs.Conflict, "The minutes can be written once the session is open.")
}

// describe fills a stored document, read through q, with what the viewer
// may see of it.
func (s *Service) describe(ctx context.Context, q sqlx.QueryerContext, v viewer, d docRow) (Minutes, error) {
	shown := d.Version
	if d.ReviewVersion != nil {
		shown = *d.ReviewVersion
	}
	ver, err := getVersion(ctx, q, d.ID, shown)
	if err != nil {
		return Minutes{}, err
	}
	out := Minutes{MeetingID: d.MeetingID, Addendum: d.Addendum, Version: shown, Status: d.Status, Body: ver.Body,
		BodyHash: hex.EncodeToString(ver.BodyHash), Signatures: []Signature{}, ReviewVersion: d.ReviewVersion,
		SubmittedAt: d.SubmittedAt, SealedAt: d.SealedAt, Returns: []Return{}, Title: v.meeting.Title}
	var sigs []signatureRow
	if d.ReviewVersion != nil {
		if sigs, err = signaturesOf(ctx, q, d.ID, *d.ReviewVersion); err != nil {
			return Minutes{}, err
		}
	}
	names := map[int64]string{}
	for _, sg := range sigs {
		name, err := s.cachedName(ctx, names, sg.AccountID)
		if err != nil {
			return Minutes{}, err
		}
		out.Signatures = append(out.Signatures, Signature{AccountID: sg.AccountID, Role: sg.Role, SignedAt: sg.SignedAt, Name: name})
	}
	if out.Signers, err = s.signers(ctx, v.meeting, sigs); err != nil {
		return Minutes{}, err
	}
	if d.Status == StatusSigned {
		h := hex.EncodeToString(d.SealedHash)
		out.SealedHash = &h
		out.Title = d.Title
		if d.ChainHeadSeq != nil {
			out.ChainHead = &ChainHead{Seq: *d.ChainHeadSeq, Hash: hex.EncodeToString(d.ChainHeadHash)}
		}
	}
	if v.seesDrafts() {
		rets, err := returnsOf(ctx, q, d.ID)
		if err != nil {
			return Minutes{}, err
		}
		for _, r := range rets {
			name, err := s.cachedName(ctx, names, r.AccountID)
			if err != nil {
				return Minutes{}, err
			}
			out.Returns = append(out.Returns, Return{Version: r.Version, AccountID: r.AccountID, Role: r.Role, Name: name,
				Comment: r.Comment, ReturnedAt: r.ReturnedAt})
		}
	}
	if d.Addendum == 0 {
		docs, err := docsOf(ctx, q, d.MeetingID)
		if err != nil {
			return Minutes{}, err
		}
		for _, a := range docs {
			if a.Addendum == 0 || !v.sees(a, true) {
				continue
			}
			sum := Summary{Addendum: a.Addendum, Status: a.Status, Version: a.Version, SealedAt: a.SealedAt}
			if a.SealedHash != nil {
				h := hex.EncodeToString(a.SealedHash)
				sum.SealedHash = &h
			}
			out.Addenda = append(out.Addenda, sum)
		}
	}
	return out, nil
}

// signers lists who must sign the meeting's minutes, the chair first,
// with whether each has signed.
func (s *Service) signers(ctx context.Context, m meetings.Meeting, sigs []signatureRow) ([]Signer, error) {
	signed := map[int64]bool{}
	for _, sg := range sigs {
		signed[sg.AccountID] = true
	}
	var ids []int64
	var roles []string
	if m.Officers.ChairAccountID != nil {
		ids, roles = append(ids, *m.Officers.ChairAccountID), append(roles, RoleChair)
	}
	for _, id := range m.Officers.CheckerAccountIDs {
		ids, roles = append(ids, id), append(roles, RoleChecker)
	}
	out := []Signer{}
	names := map[int64]string{}
	for i, id := range ids {
		name, err := s.cachedName(ctx, names, id)
		if err != nil {
			return nil, err
		}
		out = append(out, Signer{AccountID: id, Role: roles[i], Name: name, Signed: signed[id]})
	}
	return out, nil
}

func (s *Service) accountName(ctx context.Context, id int64) (string, error) {
	acc, err := s.accounts.Account(ctx, id)
	if err != nil {
		return "", err
	}
	return acc.Name, nil
}

func (s *Service) cachedName(ctx context.Context, cache map[int64]string, id int64) (string, error) {
	if name, ok := cache[id]; ok {
		return name, nil
	}
	name, err := s.accountName(ctx, id)
	if err != nil {
		return "", err
	}
	cache[id] = name
	return name, nil
}

// normaliseBody stores line ends as \n and ends the text with one, so
// that the same text saved from any browser has the same SHA-256.
func normaliseBody(raw string) (string, error) {
	// Line endings alone are made one: a browser's form sends CRLF where
	// an API client sends LF, and the hash signers sign must not depend on
	// which door the text came through. Nothing else is changed, so the
	// text saved is the text sent.
	body := strings.ReplaceAll(strings.ReplaceAll(raw, "\r\n", "\n"), "\r", "\n")
	var v errs.Validation
	switch {
	case !utf8.ValidString(body):
		v.Add("body", "The text is not valid UTF-8.")
	case strings.TrimSpace(body) == "":
		v.Add("body", "Write the text: it is empty.")
	case utf8.RuneCountInString(body) > MaxBody:
		v.Add("body", "Use at most %d characters.", MaxBody)
	case hasControl(body):
		v.Add("body", "Remove the control characters from the text: only line breaks and tabs are allowed.")
	}
	return body, v.Err()
}

func hasControl(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool {
		return r != '\n' && r != '\t' && unicode.IsControl(r)
	}) >= 0
}

// Save stores a new version of a draft: only the meeting's secretary may,
// from the opening of the session on. Nothing is ever overwritten. The
// minutes themselves begin with their first save; an addendum begins with
// StartAddendum. Each save is a new version (API.md), the same text
// saved again included.
func (s *Service) Save(ctx context.Context, p auth.Principal, doc Doc, body string) (Minutes, error) {
	if err := refuseAuditor(p); err != nil {
		return Minutes{}, err
	}
	v, err := s.viewerOf(ctx, p, doc.MeetingID)
	if err != nil {
		return Minutes{}, err
	}
	d, found, err := s.lookup(ctx, doc)
	if err != nil {
		return Minutes{}, err
	}
	if !found && doc.Addendum != 0 {
		return Minutes{}, ErrNotFound
	}
	if !v.meeting.IsSecretary(p.AccountID) {
		return Minutes{}, refusal(v, d, found, notSecretary)
	}
	body, err = normaliseBody(body)
	if err != nil {
		return Minutes{}, err
	}
	var out Minutes
	err = db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		m, err := s.meetings.Lock(ctx, tx, doc.MeetingID)
		if err != nil {
			return err
		}
		if !m.IsSecretary(p.AccountID) {
			return errs.Wrap(errs.Forbidden, notSecretary)
		}
		if err := writable(m); err != nil {
			return err
		}
		now := s.now()
		if doc.Addendum == 0 {
			if err := insertDoc(ctx, tx, doc, now, p.Actor()); err != nil {
				return err
			}
		}
		d, err := getDoc(ctx, tx, doc, true)
		if errors.Is(err, errNoDoc) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if err := refuseChange(d); err != nil {
			return err
		}
		next := d.Version
		switch _, err := getVersion(ctx, tx, d.ID, d.Version); {
		case err == nil:
			next++
		case !errors.Is(err, ErrNotFound):
			return err
		}
		hash := BodyHash(body)
		if err := insertVersion(ctx, tx, versionRow{MinutesID: d.ID, Version: next, Body: body, BodyHash: hash, CreatedAt: now, CreatedBy: p.Actor()}); err != nil {
			return err
		}
		if err := setVersion(ctx, tx, d.ID, next); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, audit.Event{ActorAccountID: p.Actor(), Action: "minutes.saved", Subject: subject(d.ID),
			Payload: map[string]any{"meeting_id": doc.MeetingID, "addendum": doc.Addendum, "version": next, "body_hash": hex.EncodeToString(hash)}})
		if err != nil {
			return err
		}
		d.Version = next
		// The answer is read here, in the transaction that wrote it: read
		// after the commit, it could be another save's that came between.
		out, err = s.describe(ctx, tx, viewer{p: p, meeting: m}, d)
		return err
	})
	if err != nil {
		return Minutes{}, err
	}
	return out, nil
}

// refuseChange refuses to change a document that is no longer a draft.
func refuseChange(d docRow) error {
	switch d.Status {
	case StatusInReview:
		return errs.Wrap(errs.Conflict, "%s are waiting for signatures and cannot change. The chair or a minute checker can send them back with a comment.", d.doc().Name())
	case StatusSigned:
		return errs.Wrap(errs.Conflict, "%s are signed and sealed: they can no longer change. Correct them with an addendum.", d.doc().Name())
	}
	return nil
}

// Submit sends the latest version to the chair and the minute checkers
// to sign, once the session is closed. A version that was sent back is
// not submitted again: the secretary saves a corrected one first.
func (s *Service) Submit(ctx context.Context, p auth.Principal, doc Doc) (Minutes, error) {
	if err := refuseAuditor(p); err != nil {
		return Minutes{}, err
	}
	v, err := s.viewerOf(ctx, p, doc.MeetingID)
	if err != nil {
		return Minutes{}, err
	}
	d, found, err := s.lookup(ctx, doc)
	if err != nil {
		return Minutes{}, err
	}
	if !found && doc.Addendum != 0 {
		return Minutes{}, ErrNotFound
	}
	if !v.meeting.IsSecretary(p.AccountID) {
		return Minutes{}, refusal(v, d, found, notSecretary)
	}
	if !found {
		return Minutes{}, errs.Wrap(errs.Conflict, "There is nothing to submit yet: save the minutes first.")
	}
	err = db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		m, err := s.meetings.Lock(ctx, tx, doc.MeetingID)
		if err != nil {
			return err
		}
		if !m.IsSecretary(p.AccountID) {
			return errs.Wrap(errs.Forbidden, notSecretary)
		}
		if m.Status != meetings.StatusClosed {
			return errs.Wrap(errs.Conflict, "The minutes can be submitted for signing once the session is closed.")
		}
		d, err := getDoc(ctx, tx, doc, true)
		if err != nil {
			return err
		}
		if err := refuseChange(d); err != nil {
			return err
		}
		returned, err := returnedText(ctx, tx, d.ID, d.Version)
		if err != nil {
			return err
		}
		if returned != 0 {
			return errs.Wrap(errs.Conflict, "Version %d has the text of version %d, which was sent back: save a corrected version before submitting again.", d.Version, returned)
		}
		signers, err := s.signers(ctx, m, nil)
		if err != nil {
			return err
		}
		if len(signers) == 0 {
			return errs.Wrap(errs.Conflict, "The meeting has no chair and no minute checkers to sign its minutes.")
		}
		ver, err := getVersion(ctx, tx, d.ID, d.Version)
		if err != nil {
			return err
		}
		now := s.now()
		if err := setSubmitted(ctx, tx, d.ID, d.Version, now); err != nil {
			return err
		}
		msgs, err := s.toSign(ctx, m, d.doc(), d.Version, ver.BodyHash, signers)
		if err != nil {
			return err
		}
		if err := mail.Enqueue(ctx, tx, now, msgs...); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, audit.Event{ActorAccountID: p.Actor(), Action: "minutes.submitted", Subject: subject(d.ID),
			Payload: map[string]any{"meeting_id": doc.MeetingID, "addendum": doc.Addendum, "version": d.Version, "body_hash": hex.EncodeToString(ver.BodyHash)}})
		return err
	})
	if err != nil {
		return Minutes{}, err
	}
	return s.Get(ctx, p, doc)
}

// inReview loads, inside tx, the document a signer acts on: in review,
// and at the version they read when they name one.
func inReview(ctx context.Context, tx *sqlx.Tx, doc Doc, version *int) (docRow, error) {
	d, err := getDoc(ctx, tx, doc, true)
	if errors.Is(err, errNoDoc) {
		return docRow{}, errs.Wrap(errs.Conflict, "There is nothing to sign yet: the secretary has not written the minutes.")
	}
	if err != nil {
		return docRow{}, err
	}
	switch d.Status {
	case StatusDraft:
		return docRow{}, errs.Wrap(errs.Conflict, "%s have not been submitted for signing.", d.doc().Name())
	case StatusSigned:
		return docRow{}, errs.Wrap(errs.Conflict, "%s are already signed by all and sealed.", d.doc().Name())
	}
	if version != nil && *version != *d.ReviewVersion {
		return docRow{}, errs.Wrap(errs.Conflict, "Version %d is not the one waiting for signatures: version %d is. Read version %d before you sign it or send it back.",
			*version, *d.ReviewVersion, *d.ReviewVersion)
	}
	return d, nil
}

// Sign signs the version in review for its chair or one of its minute
// checkers. When version is given it must be the version in review, so
// that nobody signs a text other than the one they read. The last
// signature seals the document.
func (s *Service) Sign(ctx context.Context, p auth.Principal, doc Doc, version *int) (Minutes, error) {
	if err := refuseAuditor(p); err != nil {
		return Minutes{}, err
	}
	v, err := s.viewerOf(ctx, p, doc.MeetingID)
	if err != nil {
		return Minutes{}, err
	}
	d, found, err := s.lookup(ctx, doc)
	if err != nil {
		return Minutes{}, err
	}
	if !found && doc.Addendum != 0 {
		return Minutes{}, ErrNotFound
	}
	if _, ok := signerRole(v.meeting, p.AccountID); !ok {
		return Minutes{}, refusal(v, d, found, notSigner)
	}
	err = db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		m, err := s.meetings.Lock(ctx, tx, doc.MeetingID)
		if err != nil {
			return err
		}
		role, ok := signerRole(m, p.AccountID)
		if !ok {
			return errs.Wrap(errs.Forbidden, notSigner)
		}
		d, err := inReview(ctx, tx, doc, version)
		if err != nil {
			return err
		}
		review := *d.ReviewVersion
		sigs, err := signaturesOf(ctx, tx, d.ID, review)
		if err != nil {
			return err
		}
		for _, sg := range sigs {
			if sg.AccountID == p.AccountID {
				return errs.Wrap(errs.Conflict, "You have already signed version %d.", review)
			}
		}
		ver, err := getVersion(ctx, tx, d.ID, review)
		if err != nil {
			return err
		}
		sig := signatureRow{MinutesID: d.ID, Version: review, BodyHash: ver.BodyHash, AccountID: p.AccountID, Role: role, SignedAt: s.now()}
		if err := insertSignature(ctx, tx, sig); err != nil {
			return err
		}
		sigs = append(sigs, sig)
		signers, err := s.signers(ctx, m, sigs)
		if err != nil {
			return err
		}
		all := true
		for _, sr := range signers {
			all = all && sr.Signed
		}
		if all {
			if err := s.sealMail(ctx, tx, m, d, sig.SignedAt); err != nil {
				return err
			}
		}
		_, err = s.audit.Append(ctx, tx, audit.Event{ActorAccountID: p.Actor(), Action: "minutes.signed", Subject: subject(d.ID),
			Payload: signedPayload(d.doc(), sig)})
		if err != nil || !all {
			return err
		}
		return s.seal(ctx, tx, p, m, d, ver, sigs, sig.SignedAt)
	})
	if err != nil {
		return Minutes{}, err
	}
	return s.Get(ctx, p, doc)
}

// signedPayload is the audit event of a signature; the check compares
// each stored signature with it.
func signedPayload(doc Doc, sg signatureRow) map[string]any {
	return map[string]any{"meeting_id": doc.MeetingID, "addendum": doc.Addendum, "version": sg.Version,
		"body_hash": hex.EncodeToString(sg.BodyHash), "account_id": sg.AccountID, "role": sg.Role,
		"signed_at": audit.FormatTime(sg.SignedAt)}
}

// seal makes a document signed by all immutable: it hashes the sealed
// record, writes the hash into the audit log, and prints that event, the
// chain head at this moment, on the document.
func (s *Service) seal(ctx context.Context, tx *sqlx.Tx, p auth.Principal, m meetings.Meeting, d docRow, ver versionRow, sigs []signatureRow, now time.Time) error {
	hash, err := sealedHash(d.doc(), ver.Version, ver.BodyHash, sigs)
	if err != nil {
		return err
	}
	entry, err := s.audit.Append(ctx, tx, audit.Event{ActorAccountID: p.Actor(), Action: "minutes.sealed", Subject: subject(d.ID),
		Payload: map[string]any{"meeting_id": d.MeetingID, "addendum": d.Addendum, "version": ver.Version,
			"body_hash": hex.EncodeToString(ver.BodyHash), "sealed_hash": hex.EncodeToString(hash), "signatures": len(sigs), "title": m.Title}})
	if err != nil {
		return err
	}
	seq := entry.Seq
	d.Status, d.SealedAt, d.SealedHash, d.ChainHeadSeq, d.ChainHeadHash, d.Title = StatusSigned, &now, hash, &seq, entry.Hash, m.Title
	return setSealed(ctx, tx, d, s.render.PlainText(ver.Body))
}

// Return sends the version in review back to the secretary with a
// comment saying what should change; the secretary saves a corrected
// version and submits it again.
func (s *Service) Return(ctx context.Context, p auth.Principal, doc Doc, version *int, comment string) (Minutes, error) {
	if err := refuseAuditor(p); err != nil {
		return Minutes{}, err
	}
	v, err := s.viewerOf(ctx, p, doc.MeetingID)
	if err != nil {
		return Minutes{}, err
	}
	d, found, err := s.lookup(ctx, doc)
	if err != nil {
		return Minutes{}, err
	}
	if !found && doc.Addendum != 0 {
		return Minutes{}, ErrNotFound
	}
	if _, ok := signerRole(v.meeting, p.AccountID); !ok {
		return Minutes{}, refusal(v, d, found, notSigner)
	}
	comment = strings.TrimSpace(strings.ReplaceAll(comment, "\r\n", "\n"))
	var val errs.Validation
	switch {
	case comment == "":
		val.Add("comment", "Say what should change.")
	case !utf8.ValidString(comment) || hasControl(comment):
		val.Add("comment", "Remove the control characters from the comment.")
	case utf8.RuneCountInString(comment) > maxComment:
		val.Add("comment", "Use at most %d characters.", maxComment)
	}
	if err := val.Err(); err != nil {
		return Minutes{}, err
	}
	err = db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		m, err := s.meetings.Lock(ctx, tx, doc.MeetingID)
		if err != nil {
			return err
		}
		role, ok := signerRole(m, p.AccountID)
		if !ok {
			return errs.Wrap(errs.Forbidden, notSigner)
		}
		d, err := inReview(ctx, tx, doc, version)
		if err != nil {
			return err
		}
		now := s.now()
		r := returnRow{MinutesID: d.ID, Version: *d.ReviewVersion, AccountID: p.AccountID, Role: role, Comment: comment, ReturnedAt: now}
		if err := insertReturn(ctx, tx, r); err != nil {
			return err
		}
		if err := setDraft(ctx, tx, d.ID); err != nil {
			return err
		}
		msgs, err := s.sentBack(ctx, m, d.doc(), r)
		if err != nil {
			return err
		}
		if err := mail.Enqueue(ctx, tx, now, msgs...); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, audit.Event{ActorAccountID: p.Actor(), Action: "minutes.returned", Subject: subject(d.ID),
			Payload: map[string]any{"meeting_id": doc.MeetingID, "addendum": doc.Addendum, "version": r.Version, "role": role, "comment": comment}})
		return err
	})
	if err != nil {
		return Minutes{}, err
	}
	return s.Get(ctx, p, doc)
}

// StartAddendum begins an addendum that corrects sealed minutes, with its
// first version: only the secretary may, once the minutes and every
// earlier addendum are sealed.
func (s *Service) StartAddendum(ctx context.Context, p auth.Principal, meetingID int64, body string) (Minutes, error) {
	if err := refuseAuditor(p); err != nil {
		return Minutes{}, err
	}
	v, err := s.viewerOf(ctx, p, meetingID)
	if err != nil {
		return Minutes{}, err
	}
	main, found, err := s.lookup(ctx, Main(meetingID))
	if err != nil {
		return Minutes{}, err
	}
	if !v.meeting.IsSecretary(p.AccountID) {
		return Minutes{}, refusal(v, main, found, notSecretary)
	}
	body, err = normaliseBody(body)
	if err != nil {
		return Minutes{}, err
	}
	var doc Doc
	err = db.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		m, err := s.meetings.Lock(ctx, tx, meetingID)
		if err != nil {
			return err
		}
		if !m.IsSecretary(p.AccountID) {
			return errs.Wrap(errs.Forbidden, notSecretary)
		}
		docs, err := docsOf(ctx, tx, meetingID)
		if err != nil {
			return err
		}
		if len(docs) == 0 || docs[0].Status != StatusSigned {
			return errs.Wrap(errs.Conflict, "An addendum corrects sealed minutes: the minutes of this meeting are not sealed yet.")
		}
		last := docs[len(docs)-1]
		if last.Status != StatusSigned {
			return errs.Wrap(errs.Conflict, "%s is still being written or signed: finish it first.", last.doc().Name())
		}
		if last.Addendum >= maxAddendumNo {
			return errs.Wrap(errs.Conflict, "This meeting has as many addenda as Osk keeps.")
		}
		doc = Doc{MeetingID: meetingID, Addendum: last.Addendum + 1}
		now := s.now()
		if err := insertDoc(ctx, tx, doc, now, p.Actor()); err != nil {
			return err
		}
		d, err := getDoc(ctx, tx, doc, true)
		if err != nil {
			return err
		}
		if d.Status != StatusDraft || d.Version != 1 {
			return errs.Wrap(errs.Conflict, "%s was begun at the same moment: open it instead.", doc.Name())
		}
		hash := BodyHash(body)
		if err := insertVersion(ctx, tx, versionRow{MinutesID: d.ID, Version: 1, Body: body, BodyHash: hash, CreatedAt: now, CreatedBy: p.Actor()}); err != nil {
			if db.IsUniqueViolation(err) {
				return errs.Wrap(errs.Conflict, "%s was begun at the same moment: open it instead.", doc.Name())
			}
			return err
		}
		_, err = s.audit.Append(ctx, tx, audit.Event{ActorAccountID: p.Actor(), Action: "minutes.saved", Subject: subject(d.ID),
			Payload: map[string]any{"meeting_id": meetingID, "addendum": doc.Addendum, "version": 1, "body_hash": hex.EncodeToString(hash)}})
		return err
	})
	if err != nil {
		return Minutes{}, err
	}
	return s.Get(ctx, p, doc)
}

// Versions lists a document's versions to those who read drafts.
func (s *Service) Versions(ctx context.Context, p auth.Principal, doc Doc) ([]VersionInfo, error) {
	d, err := s.draftReader(ctx, p, doc)
	if err != nil {
		return nil, err
	}
	return versionsOf(ctx, s.db, d.ID)
}

// Version returns one version with its text to those who read drafts.
func (s *Service) Version(ctx context.Context, p auth.Principal, doc Doc, version int) (Version, error) {
	d, err := s.draftReader(ctx, p, doc)
	if err != nil {
		return Version{}, err
	}
	row, err := getVersion(ctx, s.db, d.ID, version)
	if err != nil {
		return Version{}, err
	}
	returned, err := wasReturned(ctx, s.db, d.ID, version)
	if err != nil {
		return Version{}, err
	}
	return Version{VersionInfo: VersionInfo{Version: row.Version, BodyHash: hex.EncodeToString(row.BodyHash), CreatedAt: row.CreatedAt,
		CreatedBy: row.CreatedBy, Returned: returned}, Body: row.Body}, nil
}

// draftReader loads a begun document for one of its officers, the board
// or an auditor: the versions are working papers, not the record.
func (s *Service) draftReader(ctx context.Context, p auth.Principal, doc Doc) (docRow, error) {
	v, err := s.viewerOf(ctx, p, doc.MeetingID)
	if err != nil {
		return docRow{}, err
	}
	if !v.seesDrafts() {
		return docRow{}, ErrNotFound
	}
	d, found, err := s.lookup(ctx, doc)
	if err != nil {
		return docRow{}, err
	}
	if !found {
		return docRow{}, ErrNotFound
	}
	return d, nil
}

// docPath is the page of a document.
func docPath(doc Doc) string {
	if doc.Addendum == 0 {
		return fmt.Sprintf("/meetings/%d/minutes", doc.MeetingID)
	}
	return fmt.Sprintf("/meetings/%d/minutes/addenda/%d", doc.MeetingID, doc.Addendum)
}
