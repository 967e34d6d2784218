package demo

import (
	"fmt"
	"time"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/meetings"
	"github.com/citizen-network/osk/internal/members"
)

// agmDay is when the demo co-op holds its annual meetings: in May, well
// within six months of the financial year's end on 31 December.
func agmDay(year int) time.Time {
	return inHelsinki(time.Date(year, time.May, 20, 12, 0, 0, 0, time.UTC), 18)
}

// inHelsinki is the hour given in Helsinki, where the co-op meets, on the
// day of t there: whatever the hour the demo is made at, its meetings are
// held in the evening and its notices sent in the morning.
func inHelsinki(t time.Time, hour int) time.Time {
	helsinki, err := time.LoadLocation(meetings.DefaultTimeZone)
	if err != nil {
		panic(fmt.Sprintf("demo: time zone: %v", err))
	}
	local := t.In(helsinki)
	return time.Date(local.Year(), local.Month(), local.Day(), hour, 0, 0, 0, helsinki).UTC()
}

// planMeetings adds the general meetings to the history: last year's
// annual meeting, held and closed, and the next meeting, convened five
// weeks ahead, so that members may still ask for items for a week: the
// annual one if this year's is still to come, or else an extraordinary
// one.
func (w *world) planMeetings() error {
	past := agmDay(w.now.Year())
	if !past.Add(3 * time.Hour).Before(w.now) {
		past = agmDay(w.now.Year() - 1)
	}
	w.heldMeeting(past)

	next := inHelsinki(w.now.Add(35*24*time.Hour), 18)
	convened := inHelsinki(w.now.AddDate(0, 0, -1), 10)
	kind, title := meetings.KindExtraordinary, fmt.Sprintf("Extraordinary general meeting %d: new member services", next.Year())
	var agenda []meetings.ItemInput
	annual := past.Year() < w.now.Year()
	if annual {
		kind, title = meetings.KindAnnual, fmt.Sprintf("Annual general meeting %d", next.Year())
	} else {
		w.later = append(w.later, w.steppedDown(w.now.AddDate(0, 0, -3)))
		agenda = []meetings.ItemInput{
			{Title: "Opening of the meeting"},
			{Title: "Election of the chair, the secretary and the minute checkers"},
			{Title: "Legality and quorum of the meeting"},
			{Title: "Adopting the agenda"},
			{Title: "Peer support services for members", Description: "The board proposes that the co-op start peer support services for members, funded from the development budget."},
			{Title: boardVacancy, Description: "A member of the board has stepped down. The meeting elects a member to the board for the rest of the term, until the next annual general meeting."},
			{Title: "Closing of the meeting"},
		}
	}
	var m meetings.Meeting
	w.later = append(w.later,
		event{w.now.AddDate(0, 0, -2), func() error {
			var err error
			m, err = w.meetings.Create(w.ctx, w.board[0], meetings.Draft{
				Kind: kind, Title: title, StartsAt: next.Format(time.RFC3339), EndsAt: next.Add(3 * time.Hour).Format(time.RFC3339),
				TimeZone: meetings.DefaultTimeZone, Location: "Kulttuuritalo, Sturenkatu 4, Helsinki",
				RemoteAllowed: true, OnlineURL: "https://meet.example.org/citizen-network-osk", Agenda: agenda,
			})
			return err
		}},
		event{convened, func() error {
			if err := w.appointOfficers(m.ID); err != nil {
				return err
			}
			_, err := w.meetings.Convene(w.ctx, w.board[0], m.ID)
			return err
		}},
	)
	w.later = append(w.later, w.boardElection(&m.ID, convened.Add(time.Hour), annual)...)
	return nil
}

// steppedDown is the event of a founder leaving the board between annual
// meetings, whose seat the extraordinary meeting fills: the fourth, who
// no longer acts for the board by then.
func (w *world) steppedDown(at time.Time) event {
	return event{at, func() error {
		return w.auth.Revoke(w.ctx, w.admin, w.board[3].AccountID, auth.RoleBoard)
	}}
}

// heldMeeting adds an annual meeting at start, from its draft to its
// close: notified five weeks ahead, with members present in the room and
// online, and two proxies.
func (w *world) heldMeeting(start time.Time) {
	var m meetings.Meeting
	var present []members.Summary
	w.later = append(w.later,
		event{start.AddDate(0, 0, -42), func() error {
			var err error
			m, err = w.meetings.Create(w.ctx, w.board[0], meetings.Draft{
				Kind: meetings.KindAnnual, Title: fmt.Sprintf("Annual general meeting %d", start.Year()),
				StartsAt: start.Format(time.RFC3339), EndsAt: start.Add(2 * time.Hour).Format(time.RFC3339),
				TimeZone: meetings.DefaultTimeZone, Location: "Kulttuuritalo, Sturenkatu 4, Helsinki",
				RemoteAllowed: true, OnlineURL: "https://meet.example.org/citizen-network-osk",
			})
			return err
		}},
		event{start.AddDate(0, 0, -35), func() error {
			if err := w.appointOfficers(m.ID); err != nil {
				return err
			}
			_, err := w.meetings.Convene(w.ctx, w.board[0], m.ID)
			return err
		}},
		// Two members who cannot come authorise members who will.
		event{start.AddDate(0, 0, -3), func() error {
			active, err := w.members.ActiveMembers(w.ctx)
			if err != nil {
				return err
			}
			// The meeting's officers are there: the minutes name them.
			held, err := w.meetings.Get(w.ctx, m.ID)
			if err != nil {
				return err
			}
			var absent []members.Summary
			for i, mem := range active {
				if i%3 == 2 && !held.IsOfficer(mem.AccountID) {
					absent = append(absent, mem)
				} else {
					present = append(present, mem)
				}
			}
			for i := range min(2, len(absent), len(present)) {
				grantor := absent[len(absent)-1-i]
				p, err := w.auth.Principal(w.ctx, grantor.AccountID)
				if err != nil {
					return err
				}
				if _, err := w.meetings.GrantProxy(w.ctx, p, m.ID, meetings.ProxyInput{HolderMemberID: present[i].ID, MemberID: &grantor.ID}); err != nil {
					return fmt.Errorf("proxy of %s: %w", grantor.Name, err)
				}
			}
			return nil
		}},
		event{start.Add(-30 * time.Minute), func() error {
			_, err := w.meetings.Open(w.ctx, w.board[1], m.ID)
			return err
		}},
		event{start.Add(-20 * time.Minute), func() error {
			for i, mem := range present {
				p, err := w.auth.Principal(w.ctx, mem.AccountID)
				if err != nil {
					return err
				}
				mode := meetings.ModeInPerson
				if i%3 == 1 {
					mode = meetings.ModeRemote
				}
				w.at(start.Add(-20*time.Minute + time.Duration(i)*20*time.Second))
				if _, _, err := w.meetings.Attend(w.ctx, p, m.ID, meetings.AttendInput{Mode: mode, MemberID: &mem.ID}); err != nil {
					return fmt.Errorf("attendance of %s: %w", mem.Name, err)
				}
			}
			return nil
		}},
		event{start.Add(2 * time.Hour), func() error {
			_, err := w.meetings.Close(w.ctx, w.board[1], m.ID)
			return err
		}},
	)
	w.later = append(w.later, w.heldMinutes(&m.ID, start.Add(2*time.Hour))...)
}

// appointOfficers makes the second board member the chair and the third
// the secretary, with two members who are not on the board as minute
// checkers.
func (w *world) appointOfficers(id int64) error {
	active, err := w.members.ActiveMembers(w.ctx)
	if err != nil {
		return err
	}
	onBoard := map[int64]bool{}
	for _, b := range w.board {
		onBoard[b.AccountID] = true
	}
	var checkers []int64
	for _, mem := range active {
		if mem.Kind == members.KindIndividual && !onBoard[mem.AccountID] && len(checkers) < 2 {
			checkers = append(checkers, mem.AccountID)
		}
	}
	chair, secretary := w.board[1], w.board[2]
	_, err = w.meetings.SetOfficers(w.ctx, w.board[0], id, meetings.Officers{
		ChairAccountID: &chair.AccountID, SecretaryAccountID: &secretary.AccountID, CheckerAccountIDs: checkers,
	})
	return err
}
