package ballots_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/citizen-network/osk/internal/audit"
	"github.com/citizen-network/osk/internal/auditor"
	"github.com/citizen-network/osk/internal/ballots"
	"github.com/citizen-network/osk/internal/server"
)

// tamper runs statements as someone with direct access to the database
// who switches the triggers off first.
func (f *fixture) tamper(statements ...string) {
	f.t.Helper()
	tx, err := f.inst.DB.Beginx()
	if err != nil {
		f.t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	for _, table := range []string{"ballots", "ballot_voters", "ballot_votes"} {
		if _, err := tx.Exec(`ALTER TABLE ` + table + ` DISABLE TRIGGER USER`); err != nil {
			f.t.Fatal(err)
		}
	}
	for _, s := range statements {
		if _, err := tx.Exec(s); err != nil {
			f.t.Fatalf("%s: %v", s, err)
		}
	}
	for _, table := range []string{"ballots", "ballot_voters", "ballot_votes"} {
		if _, err := tx.Exec(`ALTER TABLE ` + table + ` ENABLE TRIGGER USER`); err != nil {
			f.t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) verify() audit.Report {
	f.t.Helper()
	r, err := auditor.Verify(f.ctx, f.inst.DB, server.Checks()...)
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}

func TestCheck_FindsEveryKindOfBallotTampering(t *testing.T) {
	f := newFixture(t)
	h := newHall(f)
	// Five closed ballots, one for each kind of tampering; the last waits
	// for a casting vote.
	var ids []int64
	for i := range 5 {
		b := f.openBallot(h.chair, ballots.OpenSpec{MeetingID: h.m.ID, Secret: i%2 == 0})
		f.vote(h.alice, b.ID, ballots.ChoiceFor, &h.aliceM.ID)
		f.vote(h.alice, b.ID, ballots.ChoiceFor, &h.bobM.ID)
		f.vote(h.carol, b.ID, ballots.ChoiceAgainst, nil)
		f.close(h.chair, b.ID)
		ids = append(ids, b.ID)
	}
	tie := f.openBallot(h.chair, ballots.OpenSpec{MeetingID: h.m.ID, Secret: true})
	f.vote(h.alice, tie.ID, ballots.ChoiceFor, &h.aliceM.ID)
	f.vote(h.carol, tie.ID, ballots.ChoiceAgainst, nil)
	f.close(h.chair, tie.ID)

	if r := f.verify(); !r.OK || len(r.Problems) != 0 {
		t.Fatalf("an untouched record: %+v", r)
	}

	f.tamper(
		// A vote changed after the close.
		fmt.Sprintf(`UPDATE ballot_votes SET choice = 'against' WHERE ballot_id = %d AND choice = 'for'
			AND receipt_hash = (SELECT receipt_hash FROM ballot_votes WHERE ballot_id = %d AND choice = 'for' ORDER BY receipt_hash LIMIT 1)`, ids[0], ids[0]),
		// A vote removed.
		fmt.Sprintf(`DELETE FROM ballot_votes WHERE ballot_id = %d AND choice = 'against'`, ids[1]),
		// A member who did not vote marked as voted.
		fmt.Sprintf(`UPDATE ballot_voters SET voted = true WHERE ballot_id = %d AND NOT voted`, ids[2]),
		// The record hash replaced.
		fmt.Sprintf(`UPDATE ballots SET record_hash = decode(repeat('00', 32), 'hex') WHERE id = %d`, ids[3]),
		// The result rewritten, with a vote slipped in to match.
		fmt.Sprintf(`INSERT INTO ballot_votes (receipt_hash, ballot_id, choice) VALUES (decode(repeat('ee', 32), 'hex'), %d, 'against')`, ids[4]),
		fmt.Sprintf(`UPDATE ballots SET result = jsonb_set(result, '{against}', '2') WHERE id = %d`, ids[4]),
		// The tied ballot's count changed, to a win.
		fmt.Sprintf(`UPDATE ballot_votes SET choice = 'for' WHERE ballot_id = %d`, tie.ID),
	)
	r := f.verify()
	if r.OK {
		t.Fatal("tampering went unnoticed")
	}
	byBallot := map[int64][]string{}
	for _, p := range r.Problems {
		var id int64
		if _, err := fmt.Sscanf(p.Reason, "ballot %d:", &id); err != nil {
			t.Fatalf("a problem names no ballot: %+v", p)
		}
		byBallot[id] = append(byBallot[id], p.Table+": "+p.Reason)
	}
	wants := map[int64][]string{
		ids[0]: {"ballot_votes: ", "the votes count 1 for, 2 against", "ballots: ", "not the record_hash stored"},
		ids[1]: {"members are marked as voted but there are 2 votes", "the audit log marks 3 members as voted but there are 2 votes"},
		ids[2]: {"4 members are marked as voted but there are 3 votes", "the voting list says voted=true, the audit log the opposite"},
		ids[3]: {"not the record_hash stored"},
		ids[4]: {"the audit log marks 3 members as voted but there are 4 votes", "not the record_hash stored"},
		tie.ID: {"the votes count 2 for, 0 against", "the votes give the outcome"},
	}
	for id, want := range wants {
		got := strings.Join(byBallot[id], "\n")
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("ballot %d: no problem saying %q in:\n%s", id, w, got)
			}
		}
	}
	for _, p := range r.Problems {
		if p.Table == "" || p.Row == "" {
			t.Errorf("a problem names no row: %+v", p)
		}
	}
}
