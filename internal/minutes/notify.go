package minutes

import (
	"context"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/citizen-network/osk/internal/mail"
	"github.com/citizen-network/osk/internal/meetings"
)

func (s *Service) docURL(doc Doc) string { return s.cfg.BaseURL + docPath(doc) }

// toSign tells the chair and each minute checker that a version waits for
// their signature.
func (s *Service) toSign(ctx context.Context, m meetings.Meeting, doc Doc, version int, bodyHash []byte, signers []Signer) ([]mail.Message, error) {
	subject := fmt.Sprintf("To sign: %s of %s", doc.lowerName(), m.Title)
	var b strings.Builder
	fmt.Fprintf(&b, "The secretary has submitted version %d of %s of %s for signing.\n\n", version, doc.lowerName(), m.Title)
	fmt.Fprintf(&b, "Read that exact version and sign it, or send it back to the secretary with a comment saying what should change:\n%s\n\n", s.docURL(doc))
	fmt.Fprintf(&b, "Its SHA-256 is %s. Your signature names this hash, so it holds for this text only.\n", hex.EncodeToString(bodyHash))
	var out []mail.Message
	for _, sg := range signers {
		acc, err := s.accounts.Account(ctx, sg.AccountID)
		if err != nil {
			return nil, err
		}
		if acc.Email == "" {
			continue
		}
		out = append(out, mail.Message{To: acc.Email, Subject: subject, Body: b.String()})
	}
	return out, nil
}

// sentBack tells the secretary that a version was sent back, and why.
func (s *Service) sentBack(ctx context.Context, m meetings.Meeting, doc Doc, r returnRow) ([]mail.Message, error) {
	if m.Officers.SecretaryAccountID == nil {
		return nil, nil
	}
	secretary, err := s.accounts.Account(ctx, *m.Officers.SecretaryAccountID)
	if err != nil {
		return nil, err
	}
	by, err := s.accountName(ctx, r.AccountID)
	if err != nil {
		return nil, err
	}
	name := doc.lowerName()
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s) has sent version %d of %s of %s back to you, with this comment:\n\n", by, strings.ToLower(RoleLabel(r.Role)), r.Version, name, m.Title)
	for _, l := range strings.Split(r.Comment, "\n") {
		fmt.Fprintf(&b, "> %s\n", l)
	}
	fmt.Fprintf(&b, "\nSave a corrected version and submit it again: %s\n", s.docURL(doc))
	return []mail.Message{{To: secretary.Email, Subject: fmt.Sprintf("Sent back: %s of %s", name, m.Title), Body: b.String()}}, nil
}

// sealMail, inside the transaction that seals a document, tells every
// active member and every officer that it is published.
func (s *Service) sealMail(ctx context.Context, tx *sqlx.Tx, m meetings.Meeting, d docRow, now time.Time) error {
	active, err := s.members.ActiveMembers(ctx)
	if err != nil {
		return err
	}
	name := d.doc().lowerName()
	subject := fmt.Sprintf("Published: %s of %s", name, m.Title)
	body := fmt.Sprintf("%s of %s are signed by the chair and the minute checkers, sealed, and published in the archive:\n%s\n\n"+
		"The printed minutes carry their seal: a hash of the text and its signatures, and the audit log's event that recorded it.\n",
		d.doc().Name(), m.Title, s.docURL(d.doc()))
	seen := map[string]bool{}
	var msgs []mail.Message
	add := func(address string) {
		key := strings.ToLower(strings.TrimSpace(address))
		if key == "" || seen[key] {
			return
		}
		seen[key] = true
		msgs = append(msgs, mail.Message{To: address, Subject: subject, Body: body})
	}
	for _, mem := range active {
		add(mem.Email)
	}
	officers := append([]int64(nil), m.Officers.CheckerAccountIDs...)
	for _, id := range []*int64{m.Officers.ChairAccountID, m.Officers.SecretaryAccountID} {
		if id != nil {
			officers = append(officers, *id)
		}
	}
	for _, id := range officers {
		acc, err := s.accounts.Account(ctx, id)
		if err != nil {
			return err
		}
		add(acc.Email)
	}
	return mail.Enqueue(ctx, tx, now, msgs...)
}
