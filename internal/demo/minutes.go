package demo

import (
	"fmt"
	"strings"
	"time"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/meetings"
	"github.com/citizen-network/osk/internal/minutes"
)

// placeholder is the line the pre-filled draft leaves under each agenda
// item for the secretary.
const placeholder = "_Write here what the meeting discussed and decided._"

// heldMinutes returns the events that give the held annual meeting its
// sealed minutes: the secretary writes them from the pre-filled draft and
// submits them, and the chair and the minute checkers sign, over the days
// after the meeting closed at closed (sooner when the present of the demo
// is near). The meeting is read at each step, once its officers are
// appointed.
func (w *world) heldMinutes(id *int64, closed time.Time) []event {
	span := min(6*24*time.Hour, w.now.Sub(closed)-time.Minute)
	step := func(i int) time.Time { return closed.Add(span / 6 * time.Duration(i)) }
	// act runs one step as the officer who takes it: the secretary, the
	// chair, or the nth minute checker.
	act := func(officer func(meetings.Officers) *int64, do func(p auth.Principal, m meetings.Meeting) error) func() error {
		return func() error {
			m, err := w.meetings.Get(w.ctx, *id)
			if err != nil {
				return err
			}
			account := officer(m.Officers)
			if account == nil {
				return nil
			}
			p, err := w.auth.Principal(w.ctx, *account)
			if err != nil {
				return err
			}
			if err := do(p, m); err != nil {
				return fmt.Errorf("minutes of the held meeting: %w", err)
			}
			return nil
		}
	}
	secretary := func(o meetings.Officers) *int64 { return o.SecretaryAccountID }
	chair := func(o meetings.Officers) *int64 { return o.ChairAccountID }
	checker := func(n int) func(meetings.Officers) *int64 {
		return func(o meetings.Officers) *int64 {
			if n >= len(o.CheckerAccountIDs) {
				return nil
			}
			return &o.CheckerAccountIDs[n]
		}
	}
	sign := func(p auth.Principal, m meetings.Meeting) error {
		_, err := w.minutes.Sign(w.ctx, p, minutes.Main(m.ID), nil)
		return err
	}
	return []event{
		{step(1), act(secretary, func(p auth.Principal, m meetings.Meeting) error {
			draft, err := w.minutes.Get(w.ctx, p, minutes.Main(m.ID))
			if err != nil {
				return err
			}
			text, err := w.minutesText(m, draft.Body)
			if err != nil {
				return err
			}
			_, err = w.minutes.Save(w.ctx, p, minutes.Main(m.ID), text)
			return err
		})},
		{step(2), act(secretary, func(p auth.Principal, m meetings.Meeting) error {
			_, err := w.minutes.Submit(w.ctx, p, minutes.Main(m.ID))
			return err
		})},
		{step(3), act(chair, sign)},
		{step(4), act(checker(0), sign)},
		{step(5), act(checker(1), sign)},
	}
}

// minutesText writes what the annual meeting decided under each of its
// statutory items, in the places the pre-filled draft leaves.
func (w *world) minutesText(m meetings.Meeting, draft string) (string, error) {
	name := func(id *int64) string {
		if id == nil {
			return "nobody"
		}
		acc, err := w.auth.Account(w.ctx, *id)
		if err != nil {
			return "nobody"
		}
		return acc.Name
	}
	var checkers []string
	for _, id := range m.Officers.CheckerAccountIDs {
		checkers = append(checkers, name(&id))
	}
	var board []string
	for _, b := range w.board {
		board = append(board, b.Name)
	}
	year := m.StartsAt.Year() - 1
	said := map[string]string{
		"opening":                fmt.Sprintf("%s, chair of the board, opened the meeting and welcomed the members in the room and online.", w.board[0].Name),
		"officers":               fmt.Sprintf("The meeting elected %s as chair, who appointed %s as secretary. %s were elected to check the minutes.", name(m.Officers.ChairAccountID), name(m.Officers.SecretaryAccountID), strings.Join(checkers, " and ")),
		"legality":               "The notice was sent to every member five weeks before the meeting, within the period of the rules. The members present and represented are listed above. The meeting was declared lawfully convened and quorate.",
		"agenda":                 "The agenda of the notice was adopted as the order of business.",
		"financial_presentation": fmt.Sprintf("The treasurer presented the financial statements for %d and the report of the board; the auditor's report was read. The auditor recommended adopting the statements and granting discharge.", year),
		"financial_statements":   fmt.Sprintf("The meeting adopted the financial statements for %d.", year),
		"surplus":                "On the board's proposal, the surplus of EUR 4,210.55 is carried forward to the co-op's development fund. No dividend is paid.",
		"discharge":              fmt.Sprintf("The meeting granted the members of the board discharge from liability for %d.", year),
		"fees":                   "No fees are paid to the members of the board. The auditor is paid on invoice.",
		"board_election":         fmt.Sprintf("The meeting re-elected the board for the next term: %s.", strings.Join(board, ", ")),
		"auditor_election":       "The meeting elected Helena Lindqvist as the co-op's auditor.",
		"closing":                "The chair thanked the members and closed the meeting.",
	}
	var out strings.Builder
	rest := draft
	for _, it := range m.Agenda {
		i := strings.Index(rest, placeholder)
		if i < 0 {
			return "", fmt.Errorf("the pre-filled minutes have no place for %q", it.Title)
		}
		text, ok := said[it.Statutory]
		if !ok {
			text = "The meeting discussed the matter; nothing was decided."
		}
		out.WriteString(rest[:i])
		out.WriteString(text)
		rest = rest[i+len(placeholder):]
	}
	out.WriteString(rest)
	return out.String(), nil
}
