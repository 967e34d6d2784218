package elections

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/jmoiron/sqlx"

	"github.com/citizen-network/osk/internal/audit"
)

// Check compares every election and candidate, and every one the
// audit log records, with the events that recorded them. An election
// keeps no hash of its own; its events record its creation (meeting,
// seats and when nominations close), each change the board made to when
// nominations close, each nomination (the candidate and the member
// nominated, or none for a person or firm the board names), consent and
// withdrawal, the vote it was put to and whom it elected. A withdrawn
// candidate is expected to be gone from the rows. The events are
// replayed in order, and what they leave is compared with the elections
// row (meeting, seats, closing of nominations, status and ballot) and with
// each election_candidates row (its election, its member, whether they
// consented and whether they were elected). A candidate's name is in no
// event: it is compared with the names on the record of the election's
// decided ballot, whose hash the ballots check verifies; the name of a
// candidate who was never on a decided ballot rests on the row alone.
//
// When the report covers one meeting (an export bundle), only that
// meeting's elections and candidates are expected.
func Check(ctx context.Context, q sqlx.QueryerContext, r *audit.Report) error {
	log, err := readElectionLog(ctx, q)
	if err != nil {
		return err
	}
	var rows []electionRow
	err = sqlx.SelectContext(ctx, q, &rows, `SELECT `+electionColumns+` FROM elections ORDER BY id`)
	if err != nil {
		return fmt.Errorf("elections: check elections: %w", err)
	}
	var candidates []candidateRow
	err = sqlx.SelectContext(ctx, q, &candidates, `SELECT `+candidateColumns+` FROM election_candidates ORDER BY id`)
	if err != nil {
		return fmt.Errorf("elections: check candidates: %w", err)
	}
	names, err := namesOnRecords(ctx, q)
	if err != nil {
		return err
	}
	expected := func(electionID int64) bool {
		h, ok := log.elections[electionID]
		return r.MeetingID == 0 || (ok && h.meetingID == r.MeetingID)
	}
	r.Count("elections", len(rows))
	stored := map[int64]bool{}
	for _, e := range rows {
		stored[e.ID] = true
		checkElectionRow(e, log.elections[e.ID], r)
	}
	for _, id := range slices.Sorted(maps.Keys(log.elections)) {
		h := log.elections[id]
		if stored[id] || h.created == 0 || !expected(id) {
			continue
		}
		r.Add(audit.Problem{Seq: h.created, Table: "elections", Row: "id=" + strconv.FormatInt(id, 10),
			Reason: fmt.Sprintf("election %d: the audit log records its creation at seq %d, but it is missing", id, h.created)})
	}
	stored = map[int64]bool{}
	for _, c := range candidates {
		stored[c.ID] = true
		checkCandidate(c, log, names, r)
	}
	for _, id := range slices.Sorted(maps.Keys(log.nominations)) {
		n := log.nominations[id]
		if stored[id] || n.withdrawn != 0 || !expected(n.electionID) {
			continue
		}
		r.Add(audit.Problem{Seq: n.seq, Table: "election_candidates", Row: "id=" + strconv.FormatInt(id, 10),
			Reason: fmt.Sprintf("election %d: the audit log records the nomination of candidate %d at seq %d, but the candidate is missing", n.electionID, id, n.seq)})
	}
	return nil
}

// electionActions are the events that make an election's history.
var electionActions = []string{"election.created", "election.nominations_close_set", "election.nominated", "election.consented",
	"election.withdrawn", "election.put_to_vote", "election.decided"}

// electionPayload holds what the check reads of the payloads of
// electionActions; each event carries some of it.
type electionPayload struct {
	MeetingID          int64   `json:"meeting_id"`
	Seats              int     `json:"seats"`
	NominationsCloseAt *string `json:"nominations_close_at"`
	CandidateID        int64   `json:"candidate_id"`
	MemberID           *int64  `json:"member_id"`
	Consented          bool    `json:"consented"`
	BallotID           *int64  `json:"ballot_id"`
	Elected            []int64 `json:"elected"`
}

// electionHistory is an election as its events, replayed in order, leave
// it, each value with the event that set it.
type electionHistory struct {
	// meetingID is 0 when no event that names the meeting is in the log.
	meetingID int64
	// created is the event of the creation, 0 when the log has none.
	created int64
	seats   int
	closeAt *string
	// closeSeq is the event that last set closeAt.
	closeSeq  int64
	status    string
	ballotID  *int64
	statusSeq int64
	// elected is nil until the election is decided.
	elected map[int64]bool
}

// nomination is a candidate as the events of their election leave them.
type nomination struct {
	electionID int64
	seq        int64
	memberID   *int64
	consented  bool
	consentSeq int64
	// withdrawn is the event of the withdrawal, 0 while the candidate
	// stands.
	withdrawn int64
}

type electionLog struct {
	elections   map[int64]*electionHistory
	nominations map[int64]*nomination
}

// readElectionLog replays the events of every election, by the election's
// id, and of every candidate, by the candidate's.
func readElectionLog(ctx context.Context, q sqlx.QueryerContext) (electionLog, error) {
	var events []audit.Entry
	for _, action := range electionActions {
		if err := audit.Each(ctx, q, audit.Filter{Action: action}, func(e audit.Entry) { events = append(events, e) }); err != nil {
			return electionLog{}, err
		}
	}
	slices.SortFunc(events, func(a, b audit.Entry) int { return cmp.Compare(a.Seq, b.Seq) })
	l := electionLog{elections: map[int64]*electionHistory{}, nominations: map[int64]*nomination{}}
	for _, e := range events {
		id, ok := audit.SubjectID(e.Subject, "election")
		var p electionPayload
		if !ok || json.Unmarshal(e.Payload, &p) != nil {
			continue
		}
		h := l.elections[id]
		if h == nil {
			h = &electionHistory{}
			l.elections[id] = h
		}
		switch e.Action {
		case "election.created":
			h.meetingID, h.created, h.seats, h.closeAt, h.closeSeq = p.MeetingID, e.Seq, p.Seats, p.NominationsCloseAt, e.Seq
			h.status, h.statusSeq = "nominating", e.Seq
		case "election.nominations_close_set":
			h.closeAt, h.closeSeq = p.NominationsCloseAt, e.Seq
		case "election.nominated":
			n := &nomination{electionID: id, seq: e.Seq, memberID: p.MemberID, consented: p.Consented}
			if p.Consented {
				n.consentSeq = e.Seq
			}
			l.nominations[p.CandidateID] = n
		case "election.consented":
			if n, ok := l.nominations[p.CandidateID]; ok && n.electionID == id {
				n.consented, n.consentSeq = true, e.Seq
			}
		case "election.withdrawn":
			if n, ok := l.nominations[p.CandidateID]; ok && n.electionID == id {
				n.withdrawn = e.Seq
			}
		case "election.put_to_vote":
			h.meetingID, h.status, h.ballotID, h.statusSeq = p.MeetingID, "voting", p.BallotID, e.Seq
		case "election.decided":
			h.meetingID, h.status, h.statusSeq = p.MeetingID, "decided", e.Seq
			h.elected = map[int64]bool{}
			for _, c := range p.Elected {
				h.elected[c] = true
			}
		}
	}
	return l, nil
}

// nameOnRecord is a candidate's name on the record of a decided ballot.
type nameOnRecord struct {
	name     string
	ballotID int64
	seq      int64
}

// namesOnRecords reads the candidates' names on the results of decided
// election ballots, by candidate.
func namesOnRecords(ctx context.Context, q sqlx.QueryerContext) (map[int64]nameOnRecord, error) {
	var ballots []struct {
		ID     int64           `db:"id"`
		Result json.RawMessage `db:"result"`
		Seq    int64           `db:"seq"`
	}
	err := sqlx.SelectContext(ctx, q, &ballots, `
		SELECT id, result, coalesce(chain_head_seq, 0) AS seq FROM ballots
		WHERE kind = 'election' AND decided_at IS NOT NULL AND result IS NOT NULL ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("elections: check candidates: %w", err)
	}
	out := map[int64]nameOnRecord{}
	for _, b := range ballots {
		var result struct {
			Candidates []struct {
				ID   int64  `json:"id"`
				Name string `json:"name"`
			} `json:"candidates"`
		}
		if json.Unmarshal(b.Result, &result) != nil {
			continue
		}
		for _, c := range result.Candidates {
			out[c.ID] = nameOnRecord{name: c.Name, ballotID: b.ID, seq: b.Seq}
		}
	}
	return out, nil
}

func checkElectionRow(e electionRow, h *electionHistory, r *audit.Report) {
	problem := func(seq int64, format string, args ...any) {
		r.Add(audit.Problem{Seq: seq, Table: "elections", Row: "id=" + strconv.FormatInt(e.ID, 10),
			Reason: fmt.Sprintf("election %d: ", e.ID) + fmt.Sprintf(format, args...)})
	}
	if h == nil || h.created == 0 {
		problem(0, "no audit event records its creation")
		return
	}
	var closeAt *string
	if e.NominationsCloseAt != nil {
		t := audit.FormatTime(*e.NominationsCloseAt)
		closeAt = &t
	}
	if e.MeetingID != h.meetingID || e.Seats != h.seats {
		problem(h.created, "it is stored as an election in meeting %d for %d seats; the audit log recorded its creation in meeting %d for %d seats at seq %d",
			e.MeetingID, e.Seats, h.meetingID, h.seats, h.created)
	}
	if !sameValue(closeAt, h.closeAt) {
		problem(h.closeSeq, "it is stored with nominations closing %s; the audit log records them closing %s at seq %d",
			closingWords(closeAt), closingWords(h.closeAt), h.closeSeq)
	}
	if e.Status != h.status || !sameValue(e.BallotID, h.ballotID) {
		problem(h.statusSeq, "it is stored as %s; the audit log records it as %s at seq %d",
			standing(e.Status, e.BallotID), standing(h.status, h.ballotID), h.statusSeq)
	}
}

func checkCandidate(c candidateRow, log electionLog, names map[int64]nameOnRecord, r *audit.Report) {
	problem := func(seq int64, format string, args ...any) {
		r.Add(audit.Problem{Seq: seq, Table: "election_candidates", Row: "id=" + strconv.FormatInt(c.ID, 10),
			Reason: fmt.Sprintf("election %d: candidate %d ", c.ElectionID, c.ID) + fmt.Sprintf(format, args...)})
	}
	if on, ok := names[c.ID]; ok && on.name != c.Name {
		problem(on.seq, "is stored with the name %q; the record of ballot %d names them %q", c.Name, on.ballotID, on.name)
	}
	n, ok := log.nominations[c.ID]
	if !ok {
		problem(0, "has no audit event that records their nomination")
		return
	}
	if n.withdrawn != 0 {
		problem(n.withdrawn, "is stored, but the audit log records the withdrawal of their candidacy at seq %d", n.withdrawn)
		return
	}
	if c.ElectionID != n.electionID {
		problem(n.seq, "is stored as a candidate in election %d; the audit log recorded their nomination in election %d at seq %d",
			c.ElectionID, n.electionID, n.seq)
	}
	if !sameValue(c.MemberID, n.memberID) {
		problem(n.seq, "is stored as %s; the audit log recorded the nomination of %s at seq %d",
			candidateWords(c.MemberID), candidateWords(n.memberID), n.seq)
	}
	if consented := c.ConsentedAt != nil; consented != n.consented {
		seq := cmp.Or(n.consentSeq, n.seq)
		problem(seq, "is stored as %s; the audit log records that they %s, at seq %d",
			consentWords(consented, "having consented", "not having consented"), consentWords(n.consented, "consented", "did not consent"), seq)
	}
	// The decision gives a result to every candidate who had consented,
	// on the ballot or left off it as no longer a member, and to nobody
	// else.
	var want *bool
	h := log.elections[n.electionID]
	if h != nil && h.elected != nil && n.consented {
		elected := h.elected[c.ID]
		want = &elected
	}
	if !sameValue(c.Elected, want) {
		seq := n.seq
		if h != nil {
			seq = h.statusSeq
		}
		problem(seq, "is stored with the result %s; the audit log records %s at seq %d", electedWords(c.Elected), electedWords(want), seq)
	}
}

func closingWords(at *string) string {
	if at == nil {
		return "when the chair puts it to the vote"
	}
	return "at " + *at
}

func candidateWords(memberID *int64) string {
	if memberID == nil {
		return "a person who is not a member"
	}
	return "member " + strconv.FormatInt(*memberID, 10)
}

func consentWords(consented bool, yes, no string) string {
	if consented {
		return yes
	}
	return no
}

func electedWords(elected *bool) string {
	switch {
	case elected == nil:
		return "none"
	case *elected:
		return "elected"
	}
	return "not elected"
}

func sameValue[T comparable](a, b *T) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}

// standing says where an election stands: its status, and its ballot once
// it has one.
func standing(status string, ballotID *int64) string {
	if ballotID == nil {
		return strconv.Quote(status)
	}
	return fmt.Sprintf("%q on ballot %d", status, *ballotID)
}
