package motions

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/citizen-network/osk/internal/audit"
)

// Check compares every motion, and every motion the audit log
// records, with the events that recorded it. A motion keeps no hash of its
// own: its proposal, seconder, withdrawal, vote and outcome are each an
// event on its subject, and so is every text it had, by SHA-256: the text
// proposed (motion.proposed), each carried amendment's text that became
// the main motion's next version (motion.amended) and the text put to the
// vote (motion.put_to_vote). The events are replayed in order, and what
// they leave is compared with the motions row (what was proposed, where
// the motion stands, its ballot, majority, seconder and current version)
// and with each motion_versions row.
//
// When the report covers one meeting (an export bundle), only that
// meeting's motions are expected. Not compared: the agenda item, which
// removing an item from a draft agenda unlinks, and the times and accounts
// of each step.
func Check(ctx context.Context, q sqlx.QueryerContext, r *audit.Report) error {
	log, err := readMotionLog(ctx, q)
	if err != nil {
		return err
	}
	var rows []motionRow
	err = sqlx.SelectContext(ctx, q, &rows, `
		SELECT id, meeting_id, title, by_board, proposer_member_id, amends_motion_id, based_on_version,
			version, seconder_member_id, majority, status, ballot_id
		FROM motions ORDER BY id`)
	if err != nil {
		return fmt.Errorf("motions: check motions: %w", err)
	}
	texts, err := motionTexts(ctx, q)
	if err != nil {
		return err
	}
	expected := func(h *motionHistory) bool { return r.MeetingID == 0 || h.meetingID == r.MeetingID }
	r.Count("motions", len(rows))
	stored := map[int64]bool{}
	for _, m := range rows {
		stored[m.ID] = true
		checkMotionRow(m, log[m.ID], r)
	}
	for _, id := range slices.Sorted(maps.Keys(log)) {
		h := log[id]
		if stored[id] || h.proposed == 0 || !expected(h) {
			continue
		}
		r.Add(audit.Problem{Seq: h.proposed, Table: "motions", Row: "id=" + strconv.FormatInt(id, 10),
			Reason: fmt.Sprintf("motion %d: the audit log records its proposal at seq %d, but it is missing", id, h.proposed)})
	}
	withTexts := map[int64]bool{}
	for id := range log {
		withTexts[id] = true
	}
	for id := range texts {
		withTexts[id] = true
	}
	for _, id := range slices.Sorted(maps.Keys(withTexts)) {
		h := log[id]
		checkMotionTexts(id, h, texts[id], h != nil && expected(h), r)
	}
	return nil
}

// motionActions are the events that make a motion's history.
var motionActions = []string{"motion.proposed", "motion.seconded", "motion.majority_set", "motion.withdrawn", "motion.put_to_vote", "motion.decided", "motion.amended"}

// motionProposal is what a motion's proposal fixes for good, as the row
// stores it and as motion.proposed recorded it.
type motionProposal struct {
	MeetingID        int64  `db:"meeting_id" json:"meeting_id"`
	Title            string `db:"title" json:"title"`
	ByBoard          bool   `db:"by_board" json:"by_board"`
	ProposerMemberID *int64 `db:"proposer_member_id" json:"proposer_member_id"`
	AmendsMotionID   *int64 `db:"amends_motion_id" json:"amends_motion_id"`
	BasedOnVersion   *int   `db:"based_on_version" json:"based_on_version"`
}

func (p motionProposal) same(o motionProposal) bool {
	return p.MeetingID == o.MeetingID && p.Title == o.Title && p.ByBoard == o.ByBoard && sameValue(p.ProposerMemberID, o.ProposerMemberID) &&
		sameValue(p.AmendsMotionID, o.AmendsMotionID) && sameValue(p.BasedOnVersion, o.BasedOnVersion)
}

func (p motionProposal) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%q in meeting %d", p.Title, p.MeetingID)
	if p.ByBoard {
		b.WriteString(", by the board")
	} else {
		fmt.Fprintf(&b, ", by %s", memberWords(p.ProposerMemberID))
	}
	if p.AmendsMotionID != nil {
		fmt.Fprintf(&b, ", amending motion %d as of version %s", *p.AmendsMotionID, numberWords(p.BasedOnVersion))
	}
	return b.String()
}

type motionRow struct {
	ID int64 `db:"id"`
	motionProposal
	Version          int    `db:"version"`
	SeconderMemberID *int64 `db:"seconder_member_id"`
	Majority         string `db:"majority"`
	Status           string `db:"status"`
	BallotID         *int64 `db:"ballot_id"`
}

// motionPayload holds what the check reads of the payloads of
// motionActions; each event carries some of it.
type motionPayload struct {
	motionProposal
	Status           string `json:"status"`
	Majority         string `json:"majority"`
	BodySHA256       string `json:"body_sha256"`
	SeconderMemberID *int64 `json:"seconder_member_id"`
	BallotID         *int64 `json:"ballot_id"`
	Version          int    `json:"version"`
	Outcome          string `json:"outcome"`
	AmendmentID      int64  `json:"amendment_id"`
}

// recordedText is an event that recorded the SHA-256 of a version of a
// motion's text.
type recordedText struct {
	seq    int64
	when   string
	sha256 string
	// amendmentID is the carried amendment whose text the version is, as
	// motion.amended recorded it; 0 for the other events.
	amendmentID int64
}

// motionHistory is a motion as its events, replayed in order, leave it,
// each value with the event that set it.
type motionHistory struct {
	meetingID int64
	// proposed is the event of the proposal, 0 when the log has none.
	proposed    int64
	proposal    motionProposal
	status      string
	ballotID    *int64
	statusSeq   int64
	majority    string
	majoritySeq int64
	seconder    *int64
	secondedSeq int64
	latest      int
	latestSeq   int64
	texts       map[int][]recordedText
}

func (h *motionHistory) apply(e audit.Entry, p motionPayload) {
	h.meetingID = p.MeetingID
	switch e.Action {
	case "motion.proposed":
		h.proposed, h.proposal = e.Seq, p.motionProposal
		h.status, h.statusSeq = p.Status, e.Seq
		h.majority, h.majoritySeq = p.Majority, e.Seq
		h.latest, h.latestSeq = 1, e.Seq
		h.texts[1] = append(h.texts[1], recordedText{seq: e.Seq, when: "it was proposed", sha256: p.BodySHA256})
	case "motion.seconded":
		h.status, h.statusSeq = "seconded", e.Seq
		h.seconder, h.secondedSeq = p.SeconderMemberID, e.Seq
	case "motion.majority_set":
		h.majority, h.majoritySeq = p.Majority, e.Seq
	case "motion.withdrawn":
		h.status, h.statusSeq = "withdrawn", e.Seq
	case "motion.put_to_vote":
		h.status, h.ballotID, h.statusSeq = "voting", p.BallotID, e.Seq
		h.majority, h.majoritySeq = p.Majority, e.Seq
		h.texts[p.Version] = append(h.texts[p.Version], recordedText{seq: e.Seq, when: "it was put to the vote", sha256: p.BodySHA256})
	case "motion.decided":
		h.status, h.statusSeq = p.Outcome, e.Seq
	case "motion.amended":
		h.texts[p.Version] = append(h.texts[p.Version], recordedText{seq: e.Seq, when: fmt.Sprintf("amendment %d carried", p.AmendmentID),
			sha256: p.BodySHA256, amendmentID: p.AmendmentID})
		if p.Version > h.latest {
			h.latest, h.latestSeq = p.Version, e.Seq
		}
	}
}

// readMotionLog replays the events of every motion, by the motion's id.
func readMotionLog(ctx context.Context, q sqlx.QueryerContext) (map[int64]*motionHistory, error) {
	var events []audit.Entry
	for _, action := range motionActions {
		if err := audit.Each(ctx, q, audit.Filter{Action: action}, func(e audit.Entry) { events = append(events, e) }); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(events, func(a, b audit.Entry) int { return cmp.Compare(a.Seq, b.Seq) })
	out := map[int64]*motionHistory{}
	for _, e := range events {
		id, ok := audit.SubjectID(e.Subject, "motion")
		var p motionPayload
		if !ok || json.Unmarshal(e.Payload, &p) != nil {
			continue
		}
		h := out[id]
		if h == nil {
			h = &motionHistory{texts: map[int][]recordedText{}}
			out[id] = h
		}
		h.apply(e, p)
	}
	return out, nil
}

// motionText is a motion_versions row, its text by SHA-256.
type motionText struct {
	version     int
	sha256      string
	amendmentID *int64
}

// motionTexts reads every motion_versions row, by motion, oldest version
// first, keeping only the SHA-256 of each text.
func motionTexts(ctx context.Context, q sqlx.QueryerContext) (map[int64][]motionText, error) {
	rows, err := q.QueryxContext(ctx, `SELECT motion_id, version, body, amendment_id FROM motion_versions ORDER BY motion_id, version`)
	if err != nil {
		return nil, fmt.Errorf("motions: check motion versions: %w", err)
	}
	defer rows.Close()
	out := map[int64][]motionText{}
	for rows.Next() {
		var v struct {
			MotionID    int64  `db:"motion_id"`
			Version     int    `db:"version"`
			Body        string `db:"body"`
			AmendmentID *int64 `db:"amendment_id"`
		}
		if err := rows.StructScan(&v); err != nil {
			return nil, fmt.Errorf("motions: check motion versions: %w", err)
		}
		sum := sha256.Sum256([]byte(v.Body))
		out[v.MotionID] = append(out[v.MotionID], motionText{version: v.Version, sha256: hex.EncodeToString(sum[:]), amendmentID: v.AmendmentID})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("motions: check motion versions: %w", err)
	}
	return out, nil
}

func checkMotionRow(m motionRow, h *motionHistory, r *audit.Report) {
	problem := func(seq int64, format string, args ...any) {
		r.Add(audit.Problem{Seq: seq, Table: "motions", Row: "id=" + strconv.FormatInt(m.ID, 10),
			Reason: fmt.Sprintf("motion %d: ", m.ID) + fmt.Sprintf(format, args...)})
	}
	if h == nil || h.proposed == 0 {
		problem(0, "no audit event records its proposal")
		return
	}
	if !m.same(h.proposal) {
		problem(h.proposed, "it is stored as %s; the audit log recorded its proposal as %s, at seq %d", m.motionProposal, h.proposal, h.proposed)
	}
	if m.Status != h.status || !sameValue(m.BallotID, h.ballotID) {
		problem(h.statusSeq, "it is stored as %s; the audit log records it as %s at seq %d",
			standing(m.Status, m.BallotID), standing(h.status, h.ballotID), h.statusSeq)
	}
	if m.Majority != h.majority {
		problem(h.majoritySeq, "it is stored as needing a %s majority; the audit log records a %s majority at seq %d", m.Majority, h.majority, h.majoritySeq)
	}
	if !sameValue(m.SeconderMemberID, h.seconder) {
		seq := cmp.Or(h.secondedSeq, h.proposed)
		problem(seq, "it is stored as seconded by %s; the audit log records %s at seq %d",
			memberWords(m.SeconderMemberID), memberWords(h.seconder), seq)
	}
	if m.Version != h.latest {
		problem(h.latestSeq, "its current text is stored as version %d; the audit log records version %d as the latest at seq %d", m.Version, h.latest, h.latestSeq)
	}
}

// checkMotionTexts compares each version of a motion's text with the
// events that recorded its SHA-256, and, when the motion is expected,
// each version recorded with a row.
func checkMotionTexts(id int64, h *motionHistory, texts []motionText, expected bool, r *audit.Report) {
	problem := func(seq int64, version int, format string, args ...any) {
		r.Add(audit.Problem{Seq: seq, Table: "motion_versions", Row: fmt.Sprintf("motion_id=%d,version=%d", id, version),
			Reason: fmt.Sprintf("motion %d: ", id) + fmt.Sprintf(format, args...)})
	}
	var recorded map[int][]recordedText
	if h != nil {
		recorded = h.texts
	}
	stored := map[int]bool{}
	for _, v := range texts {
		stored[v.version] = true
		events := recorded[v.version]
		if len(events) == 0 {
			problem(0, v.version, "no audit event records version %d of its text", v.version)
			continue
		}
		for _, e := range events {
			if e.sha256 != v.sha256 {
				problem(e.seq, v.version, "the text of version %d has SHA-256 %s; the audit log recorded %s when %s, at seq %d",
					v.version, v.sha256, e.sha256, e.when, e.seq)
			}
			if e.amendmentID != 0 && !sameValue(v.amendmentID, &e.amendmentID) {
				problem(e.seq, v.version, "version %d is stored as the text of amendment %s; the audit log records amendment %d at seq %d",
					v.version, numberWords(v.amendmentID), e.amendmentID, e.seq)
			}
		}
	}
	if !expected {
		return
	}
	for _, version := range slices.Sorted(maps.Keys(recorded)) {
		if !stored[version] {
			seq := recorded[version][0].seq
			problem(seq, version, "the audit log records version %d of its text at seq %d, but it is missing", version, seq)
		}
	}
}

// standing says where a motion stands: its status, and its ballot once it
// has one.
func standing(status string, ballotID *int64) string {
	if ballotID == nil {
		return strconv.Quote(status)
	}
	return fmt.Sprintf("%q on ballot %d", status, *ballotID)
}

func memberWords(id *int64) string {
	if id == nil {
		return "nobody"
	}
	return "member " + strconv.FormatInt(*id, 10)
}

func numberWords[T int | int64](n *T) string {
	if n == nil {
		return "none"
	}
	return strconv.FormatInt(int64(*n), 10)
}

func sameValue[T comparable](a, b *T) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}
