package auditor

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/citizen-network/osk/internal/audit"
	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/db"
	"github.com/citizen-network/osk/internal/errs"
)

// The export bundle of a meeting is one JSON document:
//
//	{"format": "osk-meeting-bundle", "version": 1,
//	 "exported_at": "2026-05-21T09:00:00.000000Z", "exported_by": 5,
//	 "schema_version": 12, "meeting_id": 7,
//	 "chain": {"after": {"seq": 41, "hash": "…"}, "head": {"seq": 300, "hash": "…"}},
//	 "tables": {"meetings": [ROW, …], …, "audit_events": [ROW, …]}}
//
// Each ROW is a row of that table as PostgreSQL writes it with to_jsonb
// (bytea as "\\x…" hex, times with their offset), without generated
// columns. The tables are those of bundleTables, then audit_events: every
// event from the first that concerns the meeting (its own, its ballots',
// motions', elections' and minutes') up to chain.head, the head when the
// bundle was written, whose last event records the export itself. The
// events form one unbroken piece of the chain, so that each link can be
// checked; the first chains onto chain.after, the event before it, which
// the bundle does not hold: compare it, and the head, with the live log or
// with the chain heads printed on minutes and ballot records.
//
// Only closed ballots are in a bundle, with their voting lists and votes
// (by ballot and receipt hash, never in the order they were cast), and
// only sealed minutes, with every version and every signature: the records
// that no longer change. schema_version is the last migration of the
// database the bundle was written from.
const (
	BundleFormat  = "osk-meeting-bundle"
	BundleVersion = 1
)

// bundleTable is a table of the bundle and the rows of meeting $1 it holds.
type bundleTable struct {
	name  string
	where string
	order string
}

const (
	closedBallots = `SELECT id FROM ballots WHERE meeting_id = $1 AND status = 'closed'`
	sealedMinutes = `SELECT id FROM minutes WHERE meeting_id = $1 AND status = 'signed'`
)

// bundleTables are written, and loaded, in this order.
var bundleTables = []bundleTable{
	{"meetings", `id = $1`, "id"},
	{"meeting_checkers", `meeting_id = $1`, "position"},
	{"motions", `meeting_id = $1`, "id"},
	{"motion_versions", `motion_id IN (SELECT id FROM motions WHERE meeting_id = $1)`, "motion_id, version"},
	{"elections", `meeting_id = $1`, "id"},
	{"election_candidates", `election_id IN (SELECT id FROM elections WHERE meeting_id = $1)`, "id"},
	{"ballots", `meeting_id = $1 AND status = 'closed'`, "id"},
	{"ballot_voters", `ballot_id IN (` + closedBallots + `)`, "ballot_id, member_no"},
	{"ballot_votes", `ballot_id IN (` + closedBallots + `)`, "ballot_id, receipt_hash"},
	{"minutes", `meeting_id = $1 AND status = 'signed'`, "addendum"},
	{"minutes_versions", `minutes_id IN (` + sealedMinutes + `)`, "minutes_id, version"},
	{"minutes_signatures", `minutes_id IN (` + sealedMinutes + `)`, "id"},
}

const eventsTable = "audit_events"

// Bundle is an export bundle as read back.
type Bundle struct {
	Format        string      `json:"format"`
	Version       int         `json:"version"`
	ExportedAt    string      `json:"exported_at"`
	ExportedBy    *int64      `json:"exported_by"`
	SchemaVersion int64       `json:"schema_version"`
	MeetingID     int64       `json:"meeting_id"`
	Chain         BundleChain `json:"chain"`
	// Tables holds each table's rows, by table name.
	Tables map[string][]json.RawMessage `json:"tables,omitempty"`
}

// BundleChain is where a bundle's events sit in the chain.
type BundleChain struct {
	// After is the event before the bundle's first event.
	After audit.Anchor `json:"after"`
	// Head is the chain head when the bundle was written: its last event.
	Head audit.Anchor `json:"head"`
}

// BundleFilename is the name a bundle is downloaded under.
func BundleFilename(meetingID int64) string {
	return "osk-meeting-" + strconv.FormatInt(meetingID, 10) + "-bundle.json"
}

// errNoMeeting answers a bundle of a meeting that does not exist.
var errNoMeeting = fmt.Errorf("auditor: %w", errs.Wrap(errs.NotFound, "There is no such meeting."))

// ExportBundle writes the export bundle of a meeting to w, for an auditor.
// It records the export in the audit log first, so that the bundle holds
// the event of its own export, and then reads everything in one read-only
// REPEATABLE READ transaction: one snapshot, so that the rows and the
// events agree with each other and with the head.
func ExportBundle(ctx context.Context, conn *sqlx.DB, log *audit.Log, p auth.Principal, meetingID int64, w io.Writer) error {
	if err := p.RequireAny(auth.RoleAuditor); err != nil {
		return err
	}
	var exists bool
	if err := conn.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM meetings WHERE id = $1)`, meetingID); err != nil {
		return fmt.Errorf("auditor: bundle of meeting %d: %w", meetingID, err)
	}
	if !exists {
		return errNoMeeting
	}
	var exported audit.Entry
	err := db.WithTx(ctx, conn, func(tx *sqlx.Tx) error {
		var err error
		exported, err = log.Append(ctx, tx, audit.Event{
			ActorAccountID: p.Actor(), Action: "audit.bundle_exported", Subject: "meeting:" + strconv.FormatInt(meetingID, 10),
			Payload: map[string]any{"format": BundleFormat, "version": BundleVersion},
		})
		return err
	})
	if err != nil {
		return err
	}
	tx, err := conn.BeginTxx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return fmt.Errorf("auditor: bundle of meeting %d: %w", meetingID, err)
	}
	defer func() { _ = tx.Rollback() }()
	if err := writeBundle(ctx, tx, meetingID, exported, w); err != nil {
		return fmt.Errorf("auditor: bundle of meeting %d: %w", meetingID, err)
	}
	return nil
}

func writeBundle(ctx context.Context, tx *sqlx.Tx, meetingID int64, exported audit.Entry, w io.Writer) error {
	headSeq, headHash, err := audit.Head(ctx, tx)
	if err != nil {
		return err
	}
	first, err := firstEventOf(ctx, tx, meetingID)
	if err != nil {
		return err
	}
	var prev []byte
	if err := tx.GetContext(ctx, &prev, `SELECT prev_hash FROM audit_events WHERE seq = $1`, first); err != nil {
		return fmt.Errorf("event %d: %w", first, err)
	}
	schema, err := schemaVersion(ctx, tx)
	if err != nil {
		return err
	}
	header, err := json.Marshal(Bundle{
		Format: BundleFormat, Version: BundleVersion, ExportedAt: audit.FormatTime(exported.At), ExportedBy: exported.ActorAccountID,
		SchemaVersion: schema, MeetingID: meetingID,
		Chain: BundleChain{After: audit.Anchor{Seq: first - 1, Hash: prev}, Head: audit.Anchor{Seq: headSeq, Hash: headHash}},
	})
	if err != nil {
		return err
	}
	// The header without its closing brace: the tables follow, row by
	// row.
	header = bytes.TrimSuffix(header, []byte(`}`))
	out := &errWriter{w: w}
	out.write(header)
	out.write([]byte(",\n\"tables\": {"))
	for i, t := range bundleTables {
		if i > 0 {
			out.write([]byte(","))
		}
		if err := writeRows(ctx, tx, out, t.name, `WHERE `+t.where+` ORDER BY `+t.order, meetingID); err != nil {
			return err
		}
	}
	out.write([]byte(","))
	if err := writeRows(ctx, tx, out, eventsTable, `WHERE seq BETWEEN $1 AND $2 ORDER BY seq`, first, headSeq); err != nil {
		return err
	}
	out.write([]byte("\n}}\n"))
	return out.err
}

// firstEventOf returns the sequence number of the first event that
// concerns the meeting: its own, or one of its ballots', motions',
// elections' or minutes'.
func firstEventOf(ctx context.Context, tx *sqlx.Tx, meetingID int64) (int64, error) {
	var subjects []string
	err := tx.SelectContext(ctx, &subjects, `
		SELECT 'meeting:' || $1::bigint
		UNION ALL SELECT 'ballot:' || id FROM ballots WHERE meeting_id = $1
		UNION ALL SELECT 'motion:' || id FROM motions WHERE meeting_id = $1
		UNION ALL SELECT 'election:' || id FROM elections WHERE meeting_id = $1
		UNION ALL SELECT 'minutes:' || id FROM minutes WHERE meeting_id = $1`, meetingID)
	if err != nil {
		return 0, fmt.Errorf("subjects: %w", err)
	}
	var first int64
	if err := tx.GetContext(ctx, &first, `SELECT min(seq) FROM audit_events WHERE subject = ANY($1)`, pq.Array(subjects)); err != nil {
		return 0, fmt.Errorf("first event: %w", err)
	}
	return first, nil
}

// schemaVersion is the last migration applied to the database.
func schemaVersion(ctx context.Context, q sqlx.QueryerContext) (int64, error) {
	var v int64
	if err := sqlx.GetContext(ctx, q, &v, `SELECT coalesce(max(version_id), 0) FROM goose_db_version WHERE is_applied`); err != nil {
		return 0, fmt.Errorf("schema version: %w", err)
	}
	return v, nil
}

// writeRows writes `"table": [rows]`, each row on a line of its own as
// PostgreSQL encodes it, generated columns left out.
func writeRows(ctx context.Context, tx *sqlx.Tx, out *errWriter, table, rest string, args ...any) error {
	generated, err := generatedColumns(ctx, tx, table)
	if err != nil {
		return err
	}
	args = append(args, pq.Array(generated))
	query := fmt.Sprintf(`SELECT to_jsonb(t) - $%d::text[] FROM %s t %s`, len(args), pq.QuoteIdentifier(table), rest)
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", table, err)
	}
	defer rows.Close()
	out.write([]byte("\n" + strconv.Quote(table) + ": ["))
	n := 0
	var row sql.RawBytes
	for rows.Next() {
		if err := rows.Scan(&row); err != nil {
			return fmt.Errorf("%s: %w", table, err)
		}
		if n > 0 {
			out.write([]byte(","))
		}
		out.write([]byte("\n"))
		out.write(row)
		n++
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s: %w", table, err)
	}
	out.write([]byte("]"))
	return out.err
}

func generatedColumns(ctx context.Context, q sqlx.QueryerContext, table string) ([]string, error) {
	out := []string{}
	err := sqlx.SelectContext(ctx, q, &out, `
		SELECT attname FROM pg_attribute
		WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated <> ''`, table)
	if err != nil {
		return nil, fmt.Errorf("%s: columns: %w", table, err)
	}
	return out, nil
}

// errWriter keeps the first write error, so that a long run of writes is
// checked once.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) write(b []byte) {
	if e.err == nil {
		_, e.err = e.w.Write(b)
	}
}

// ReadBundle reads an export bundle and checks that this Osk can load it.
func ReadBundle(r io.Reader) (Bundle, error) {
	var b Bundle
	if err := json.NewDecoder(r).Decode(&b); err != nil {
		return Bundle{}, fmt.Errorf("auditor: read bundle: not an export bundle of Osk: %w", err)
	}
	switch {
	case b.Format != BundleFormat:
		return Bundle{}, fmt.Errorf("auditor: read bundle: the format is %q, not %q", b.Format, BundleFormat)
	case b.Version != BundleVersion:
		return Bundle{}, fmt.Errorf("auditor: read bundle: version %d of the format; this Osk reads version %d", b.Version, BundleVersion)
	case b.MeetingID <= 0:
		return Bundle{}, errors.New("auditor: read bundle: it names no meeting")
	case len(b.Chain.After.Hash) != audit.HashSize || len(b.Chain.Head.Hash) != audit.HashSize || b.Chain.After.Seq < 0:
		return Bundle{}, errors.New("auditor: read bundle: its chain has no anchor or no head")
	}
	known := map[string]bool{eventsTable: true}
	for _, t := range bundleTables {
		known[t.name] = true
	}
	for name := range b.Tables {
		if !known[name] {
			return Bundle{}, fmt.Errorf("auditor: read bundle: it holds table %q, which this Osk does not know: use a newer osk", name)
		}
	}
	return b, nil
}

// loadBatch is how many rows go into the database in one statement.
const loadBatch = 5000

// LoadBundle writes a bundle's rows into conn, a freshly migrated database
// that holds nothing yet, so that Verify can check them there exactly as
// it checks a live database. The rows go in as they are, with triggers
// and foreign keys off (session_replication_role = replica): a bundle is a
// partial record, and a tampered one must load so that it can be
// reported. The audit head is set to the bundle's.
func LoadBundle(ctx context.Context, conn *sqlx.DB, b Bundle) error {
	var used bool
	err := conn.GetContext(ctx, &used, `SELECT EXISTS (SELECT 1 FROM audit_events) OR EXISTS (SELECT 1 FROM meetings)`)
	if err != nil {
		return fmt.Errorf("auditor: load bundle: %w", err)
	}
	if used {
		return errors.New("auditor: load bundle: the database already holds records; a bundle is loaded only into an empty one")
	}
	schema, err := schemaVersion(ctx, conn)
	if err != nil {
		return fmt.Errorf("auditor: load bundle: %w", err)
	}
	if b.SchemaVersion > schema {
		return fmt.Errorf("auditor: load bundle: it was written with schema version %d, newer than this Osk's %d: use a newer osk", b.SchemaVersion, schema)
	}
	return db.WithTx(ctx, conn, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `SET LOCAL session_replication_role = replica`); err != nil {
			return fmt.Errorf("auditor: load bundle: %w", err)
		}
		for _, t := range bundleTables {
			if err := loadRows(ctx, tx, t.name, b.Tables[t.name]); err != nil {
				return err
			}
		}
		if err := loadRows(ctx, tx, eventsTable, b.Tables[eventsTable]); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE audit_head SET seq = $1, hash = $2`, b.Chain.Head.Seq, []byte(b.Chain.Head.Hash))
		if err != nil {
			return fmt.Errorf("auditor: load bundle: audit head: %w", err)
		}
		return nil
	})
}

func loadRows(ctx context.Context, tx *sqlx.Tx, table string, rows []json.RawMessage) error {
	var columns []string
	err := tx.SelectContext(ctx, &columns, `
		SELECT attname FROM pg_attribute
		WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = ''
		ORDER BY attnum`, table)
	if err != nil {
		return fmt.Errorf("auditor: load bundle: %s: %w", table, err)
	}
	quoted := make([]string, len(columns))
	for i, c := range columns {
		quoted[i] = pq.QuoteIdentifier(c)
	}
	list := strings.Join(quoted, ", ")
	// A column this schema lacks would be dropped without a word by
	// jsonb_populate_recordset: refuse the row instead.
	unknown := `SELECT DISTINCT k FROM jsonb_array_elements($1::jsonb) r, jsonb_object_keys(r) k WHERE k <> ALL ($2::text[]) ORDER BY k`
	insert := fmt.Sprintf(`INSERT INTO %[1]s (%[2]s) SELECT %[2]s FROM jsonb_populate_recordset(NULL::%[1]s, $1::jsonb)`,
		pq.QuoteIdentifier(table), list)
	for start := 0; start < len(rows); start += loadBatch {
		batch, err := json.Marshal(rows[start:min(start+loadBatch, len(rows))])
		if err != nil {
			return fmt.Errorf("auditor: load bundle: %s: %w", table, err)
		}
		var extra []string
		if err := tx.SelectContext(ctx, &extra, unknown, string(batch), pq.Array(columns)); err != nil {
			return fmt.Errorf("auditor: load bundle: %s: %w", table, err)
		}
		if len(extra) > 0 {
			return fmt.Errorf("auditor: load bundle: %s has columns this Osk does not know (%s): use a newer osk", table, strings.Join(extra, ", "))
		}
		if _, err := tx.ExecContext(ctx, insert, string(batch)); err != nil {
			return fmt.Errorf("auditor: load bundle: %s, rows %d to %d: %w", table, start+1, start+loadBatch, err)
		}
	}
	return nil
}

// VerifyBundle verifies a bundle loaded into conn (LoadBundle) with the
// checks of the live verification: the chain from the bundle's anchor to
// its head, and the records of its meeting. It also checks that the bundle
// holds the meeting it names.
func VerifyBundle(ctx context.Context, conn sqlx.QueryerContext, b Bundle, opts Options, checks ...Check) (audit.Report, error) {
	opts.After, opts.MeetingID = &b.Chain.After, b.MeetingID
	report, err := VerifyWith(ctx, conn, opts, checks...)
	if err != nil {
		return audit.Report{}, err
	}
	var found bool
	if err := sqlx.GetContext(ctx, conn, &found, `SELECT EXISTS (SELECT 1 FROM meetings WHERE id = $1)`, b.MeetingID); err != nil {
		return audit.Report{}, fmt.Errorf("auditor: verify bundle: %w", err)
	}
	if !found {
		report.OK = false
		report.Problems = append(report.Problems, audit.Problem{Table: "meetings", Row: "id=" + strconv.FormatInt(b.MeetingID, 10),
			Reason: fmt.Sprintf("the bundle names meeting %d but does not hold it", b.MeetingID)})
	}
	return report, nil
}

// meetingLink is a meeting as the verification page lists it, for its
// bundle.
type meetingLink struct {
	ID       int64     `db:"id"`
	Title    string    `db:"title"`
	StartsAt time.Time `db:"starts_at"`
	TimeZone string    `db:"time_zone"`
	Status   string    `db:"status"`
}

// maxMeetingLinks bounds the meetings the verification page lists, the
// latest first; the bundle of an older one is at the same route with its
// id.
const maxMeetingLinks = 50

func recentMeetings(ctx context.Context, q sqlx.QueryerContext) ([]meetingLink, error) {
	out := []meetingLink{}
	err := sqlx.SelectContext(ctx, q, &out, `
		SELECT id, title, starts_at, time_zone, status FROM meetings
		ORDER BY starts_at DESC, id DESC LIMIT $1`, maxMeetingLinks)
	if err != nil {
		return nil, fmt.Errorf("auditor: meetings: %w", err)
	}
	return out, nil
}
