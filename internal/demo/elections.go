package demo

import (
	"fmt"
	"time"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/elections"
	"github.com/citizen-network/osk/internal/meetings"
)

// boardVacancy is the agenda item of the extraordinary meeting that fills
// a seat on the board.
const boardVacancy = "Election of a member of the board"

// The candidates of the next meeting's board election: members who stand
// with a statement, one nominated by another member who has consented,
// and the demo's member login, nominated and not yet consented, so that
// signing in as them shows the consent.
var (
	standing = []struct{ name, statement string }{
		{"Kwabena Asante", "I have served on the board since the co-op was founded and look after our peer support work. I stand again to see the peer support services through their first year."},
		{"Sofía Hernández", "I work on inclusive education in Guadalajara. On the board I would build the co-op's links with schools and families in Latin America."},
		{"Kaarel Tamm", "I have run neighbourhood assemblies in Tartu for ten years. I would like to help the co-op make its own decisions more open to every member."},
	}
	consenting = struct{ nominee, by, statement string }{"Ingrid Solheim", "Yuki Tanaka",
		"Ingrid set up individual service funds across western Norway and knows how to make a budget serve people. She would be a great treasurer."}
	pending = struct{ nominee, by, statement string }{individuals[0].name, "Camille Dubois",
		"Amara has spoken for self-advocates at every meeting of the co-op. The board needs her voice."}
)

// boardElection returns the events that put a board election on the next
// meeting, from at onwards, once the meeting is convened: at an annual
// meeting on its statutory item for the board, two seats; at an
// extraordinary one, the vacant seat. Nominations close a week before the
// meeting. The first who stands sits on the board already, and stands
// again only when their seat is up, at an annual meeting.
func (w *world) boardElection(id *int64, at time.Time, annual bool) []event {
	var e elections.Election
	step := func(i int) time.Time { return at.Add(time.Duration(i) * 40 * time.Minute) }
	nominate := func(who string, in elections.Nomination) error {
		p, ok := w.accounts[who]
		if !ok {
			return fmt.Errorf("election: nobody called %s", who)
		}
		if _, err := w.elections.Nominate(w.ctx, p, e.ID, in); err != nil {
			return fmt.Errorf("election: nomination by %s: %w", who, err)
		}
		return nil
	}
	events := []event{{step(0), func() error {
		m, err := w.meetings.Get(w.ctx, *id)
		if err != nil {
			return err
		}
		in := elections.NewElection{Title: "Members of the board", Seats: 2}
		if m.Kind != meetings.KindAnnual {
			in = elections.NewElection{Title: "A member of the board for the rest of the term", Seats: 1}
		}
		for _, it := range m.Agenda {
			if it.Statutory == "board_election" || it.Title == boardVacancy {
				in.AgendaItemID = &it.ID
			}
		}
		if in.AgendaItemID == nil {
			return fmt.Errorf("election: the agenda of %q has no item for it", m.Title)
		}
		closes := m.StartsAt.AddDate(0, 0, -7)
		in.NominationsCloseAt = &closes
		e, err = w.elections.Create(w.ctx, w.board[0], m.ID, in)
		if err != nil {
			return fmt.Errorf("election: %w", err)
		}
		return nil
	}}}
	stand := standing
	if !annual {
		stand = standing[1:]
	}
	for i, c := range stand {
		events = append(events, event{step(1 + i), func() error {
			return nominate(c.name, elections.Nomination{Statement: c.statement})
		}})
	}
	n := len(standing) + 1
	for i, c := range []struct{ nominee, by, statement string }{consenting, pending} {
		events = append(events, event{step(n + i), func() error {
			member := w.ids[c.nominee]
			return nominate(c.by, elections.Nomination{MemberID: &member, Statement: c.statement})
		}})
	}
	events = append(events, event{step(n + 3), func() error {
		return w.consent(w.accounts[consenting.nominee], &e, consenting.nominee)
	}})
	return events
}

// consent has the nominee consent to stand.
func (w *world) consent(p auth.Principal, e *elections.Election, name string) error {
	got, err := w.elections.GetAs(w.ctx, p, e.ID)
	if err != nil {
		return err
	}
	for _, c := range got.Candidates {
		if c.MemberID != nil && *c.MemberID == w.ids[name] {
			if _, err := w.elections.Consent(w.ctx, p, e.ID, c.ID); err != nil {
				return fmt.Errorf("election: consent of %s: %w", name, err)
			}
			return nil
		}
	}
	return fmt.Errorf("election: %s is not nominated", name)
}
