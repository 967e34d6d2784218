package server_test

import (
	"context"
	"maps"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/citizen-network/osk/internal/auth"
	"github.com/citizen-network/osk/internal/meetings"
	"github.com/citizen-network/osk/internal/minutes"
	"github.com/citizen-network/osk/internal/osktest"
)

// Who may do what with minutes. Every meeting named here is closed and
// chaired by someone who is none of the callers. {minSealed} has sealed
// minutes and {minAddendum} a sealed addendum too, both signed by the
// chair alone. The board caller is the secretary of {minDraft} (draft
// minutes), {minSubmit*} (a draft to submit), {minAddBegin*} (sealed
// minutes to correct), {minAddDraft} and {minAddSubmit*} (a draft
// addendum). The member caller is a minute checker of {minSign*},
// {minReturn*}, {minAddSign*} and {minAddReturn*}, whose minutes or
// addendum wait for signatures.
var minutesRoutes = map[string]expect{
	"GET /api/v1/minutes":         {path: "/api/v1/minutes?q=minutes", want: callers(401, 403, 200, 200, 200, 403)},
	"GET /api/v1/minutes/overdue": {path: "/api/v1/minutes/overdue", want: only(401, 200, board, auditor)},

	"GET /api/v1/meetings/:id/minutes":                   {path: "/api/v1/meetings/{minSealed}/minutes", want: callers(401, 404, 200, 200, 200, 404)},
	"PUT /api/v1/meetings/:id/minutes":                   {path: "/api/v1/meetings/{minDraft}/minutes", body: map[string]any{"body": "The minutes."}, want: callers(401, 404, 404, 200, 403, 404)},
	"POST /api/v1/meetings/:id/minutes/submit":           {path: "/api/v1/meetings/{minSubmitApi}/minutes/submit", want: callers(401, 404, 404, 200, 403, 404)},
	"POST /api/v1/meetings/:id/minutes/sign":             {path: "/api/v1/meetings/{minSignApi}/minutes/sign", body: map[string]any{"version": 1}, want: callers(401, 404, 200, 403, 403, 404)},
	"POST /api/v1/meetings/:id/minutes/return":           {path: "/api/v1/meetings/{minReturnApi}/minutes/return", body: map[string]any{"comment": "Item 2 is wrong."}, want: callers(401, 404, 200, 403, 403, 404)},
	"GET /api/v1/meetings/:id/minutes/versions":          {path: "/api/v1/meetings/{minSealed}/minutes/versions", want: callers(401, 404, 404, 200, 200, 404)},
	"GET /api/v1/meetings/:id/minutes/versions/:version": {path: "/api/v1/meetings/{minSealed}/minutes/versions/1", want: callers(401, 404, 404, 200, 200, 404)},
	"POST /api/v1/meetings/:id/minutes/addenda":          {path: "/api/v1/meetings/{minAddBeginApi}/minutes/addenda", body: map[string]any{"body": "A correction."}, want: callers(401, 404, 403, 201, 403, 404)},

	"GET /api/v1/meetings/:id/minutes/addenda/:n":                   {path: "/api/v1/meetings/{minAddendum}/minutes/addenda/1", want: callers(401, 404, 200, 200, 200, 404)},
	"PUT /api/v1/meetings/:id/minutes/addenda/:n":                   {path: "/api/v1/meetings/{minAddDraft}/minutes/addenda/1", body: map[string]any{"body": "A correction."}, want: callers(401, 404, 404, 200, 403, 404)},
	"POST /api/v1/meetings/:id/minutes/addenda/:n/submit":           {path: "/api/v1/meetings/{minAddSubmitApi}/minutes/addenda/1/submit", want: callers(401, 404, 404, 200, 403, 404)},
	"POST /api/v1/meetings/:id/minutes/addenda/:n/sign":             {path: "/api/v1/meetings/{minAddSignApi}/minutes/addenda/1/sign", body: map[string]any{}, want: callers(401, 404, 200, 403, 403, 404)},
	"POST /api/v1/meetings/:id/minutes/addenda/:n/return":           {path: "/api/v1/meetings/{minAddReturnApi}/minutes/addenda/1/return", body: map[string]any{"comment": "Say which item."}, want: callers(401, 404, 200, 403, 403, 404)},
	"GET /api/v1/meetings/:id/minutes/addenda/:n/versions":          {path: "/api/v1/meetings/{minAddendum}/minutes/addenda/1/versions", want: callers(401, 404, 404, 200, 200, 404)},
	"GET /api/v1/meetings/:id/minutes/addenda/:n/versions/:version": {path: "/api/v1/meetings/{minAddendum}/minutes/addenda/1/versions/1", want: callers(401, 404, 404, 200, 200, 404)},

	"GET /minutes":                                           {path: "/minutes?q=minutes", want: callers(toSignIn, 403, 200, 200, 200, 403)},
	"GET /minutes/overdue":                                   {path: "/minutes/overdue", want: only(toSignIn, 200, board, auditor)},
	"GET /meetings/:id/minutes":                              {path: "/meetings/{minSealed}/minutes", want: callers(toSignIn, 404, 200, 200, 200, 404)},
	"GET /meetings/:id/minutes/edit":                         {path: "/meetings/{minDraft}/minutes/edit", want: callers(toSignIn, 404, 404, 200, 403, 404)},
	"POST /meetings/:id/minutes/edit":                        {path: "/meetings/{minDraft}/minutes/edit", form: url.Values{"body": {"The minutes."}, "action": {"save"}}, want: callers(401, 404, 404, 303, 403, 404)},
	"POST /meetings/:id/minutes/submit":                      {path: "/meetings/{minSubmitPage}/minutes/submit", form: url.Values{}, want: callers(401, 404, 404, 303, 403, 404)},
	"POST /meetings/:id/minutes/sign":                        {path: "/meetings/{minSignPage}/minutes/sign", form: url.Values{"version": {"1"}}, want: callers(401, 404, 303, 403, 403, 404)},
	"POST /meetings/:id/minutes/return":                      {path: "/meetings/{minReturnPage}/minutes/return", form: url.Values{"comment": {"Item 2 is wrong."}}, want: callers(401, 404, 303, 403, 403, 404)},
	"GET /meetings/:id/minutes/versions":                     {path: "/meetings/{minSealed}/minutes/versions", want: callers(toSignIn, 404, 404, 200, 200, 404)},
	"GET /meetings/:id/minutes/versions/:version":            {path: "/meetings/{minSealed}/minutes/versions/1", want: callers(toSignIn, 404, 404, 200, 200, 404)},
	"GET /meetings/:id/minutes/diff":                         {path: "/meetings/{minSealed}/minutes/diff", want: callers(toSignIn, 404, 404, 200, 200, 404)},
	"GET /meetings/:id/minutes/addenda":                      {path: "/meetings/{minAddBeginPage}/minutes/addenda", want: callers(toSignIn, 404, 403, 200, 403, 404)},
	"POST /meetings/:id/minutes/addenda":                     {path: "/meetings/{minAddBeginPage}/minutes/addenda", form: url.Values{"body": {"A correction."}, "action": {"save"}}, want: callers(401, 404, 403, 303, 403, 404)},
	"GET /meetings/:id/minutes/addenda/:n":                   {path: "/meetings/{minAddendum}/minutes/addenda/1", want: callers(toSignIn, 404, 200, 200, 200, 404)},
	"GET /meetings/:id/minutes/addenda/:n/edit":              {path: "/meetings/{minAddDraft}/minutes/addenda/1/edit", want: callers(toSignIn, 404, 404, 200, 403, 404)},
	"POST /meetings/:id/minutes/addenda/:n/edit":             {path: "/meetings/{minAddDraft}/minutes/addenda/1/edit", form: url.Values{"body": {"A correction."}, "action": {"save"}}, want: callers(401, 404, 404, 303, 403, 404)},
	"POST /meetings/:id/minutes/addenda/:n/submit":           {path: "/meetings/{minAddSubmitPage}/minutes/addenda/1/submit", form: url.Values{}, want: callers(401, 404, 404, 303, 403, 404)},
	"POST /meetings/:id/minutes/addenda/:n/sign":             {path: "/meetings/{minAddSignPage}/minutes/addenda/1/sign", form: url.Values{}, want: callers(401, 404, 303, 403, 403, 404)},
	"POST /meetings/:id/minutes/addenda/:n/return":           {path: "/meetings/{minAddReturnPage}/minutes/addenda/1/return", form: url.Values{"comment": {"Say which item."}}, want: callers(401, 404, 303, 403, 403, 404)},
	"GET /meetings/:id/minutes/addenda/:n/versions":          {path: "/meetings/{minAddendum}/minutes/addenda/1/versions", want: callers(toSignIn, 404, 404, 200, 200, 404)},
	"GET /meetings/:id/minutes/addenda/:n/versions/:version": {path: "/meetings/{minAddendum}/minutes/addenda/1/versions/1", want: callers(toSignIn, 404, 404, 200, 200, 404)},
	"GET /meetings/:id/minutes/addenda/:n/diff":              {path: "/meetings/{minAddendum}/minutes/addenda/1/diff", want: callers(toSignIn, 404, 404, 200, 200, 404)},
}

func init() { maps.Copy(accessTable, minutesRoutes) }

// makeMinutes holds the meetings the minutes' paths name, once the member
// and board callers exist, and returns the replacer that puts their ids
// in paths.
func makeMinutes(t *testing.T, inst *osktest.Instance) *strings.Replacer {
	t.Helper()
	ctx := context.Background()
	principal := func(email string) auth.Principal {
		acc, err := inst.Server.Auth.AccountByEmail(ctx, email)
		if err != nil {
			t.Fatal(err)
		}
		p, err := inst.Server.Auth.Principal(ctx, acc.ID)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	staff := func(email, name string) auth.Principal {
		acc, err := inst.Server.Auth.CreateAccount(ctx, auth.Operator, email, name)
		if err != nil {
			t.Fatal(err)
		}
		if err := inst.Server.Auth.Grant(ctx, auth.Operator, acc.ID, auth.RoleBoard); err != nil {
			t.Fatal(err)
		}
		return principal(email)
	}
	boardCaller := principal(callerNames[board] + "@example.org")
	memberCaller := principal(callerNames[member] + "@example.org")
	chair := staff("minutes-chair@example.org", "Minutes Chair")
	secretary := staff("minutes-secretary@example.org", "Minutes Secretary")
	checker := staff("minutes-checker@example.org", "Minutes Checker")
	meetingsSvc, svc := inst.Server.Meetings, inst.Server.Minutes
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	// held convenes a meeting a week ahead, brings it forward to half an
	// hour from now, and holds its session; the staff checker checks its
	// minutes unless others are named.
	held := func(sec auth.Principal, checkers ...int64) int64 {
		if len(checkers) == 0 {
			checkers = []int64{checker.AccountID}
		}
		now := inst.Clock.Now()
		start := now.Add(8 * 24 * time.Hour).Truncate(time.Minute)
		m, err := meetingsSvc.Create(ctx, boardCaller, meetings.Draft{Kind: meetings.KindExtraordinary, Title: "Minutes of an EGM",
			StartsAt: start.Format(time.RFC3339), EndsAt: start.Add(2 * time.Hour).Format(time.RFC3339), Location: "Helsinki",
			Agenda: []meetings.ItemInput{{Title: "Opening"}}})
		if err != nil {
			t.Fatal(err)
		}
		must(meetingsSvc.SetOfficers(ctx, boardCaller, m.ID, meetings.Officers{ChairAccountID: &chair.AccountID,
			SecretaryAccountID: &sec.AccountID, CheckerAccountIDs: append([]int64{}, checkers...)}))
		must(meetingsSvc.Convene(ctx, boardCaller, m.ID))
		if _, err := inst.DB.Exec(`UPDATE meetings SET starts_at = $2, ends_at = $3 WHERE id = $1`,
			m.ID, now.Add(30*time.Minute), now.Add(3*time.Hour)); err != nil {
			t.Fatal(err)
		}
		must(meetingsSvc.Open(ctx, chair, m.ID))
		must(meetingsSvc.Close(ctx, chair, m.ID))
		return m.ID
	}
	submitted := func(sec auth.Principal, doc minutes.Doc) {
		if doc.Addendum == 0 {
			must(svc.Save(ctx, sec, doc, "The minutes."))
		}
		must(svc.Submit(ctx, sec, doc))
	}
	seal := func(sec auth.Principal, doc minutes.Doc, signers ...auth.Principal) {
		submitted(sec, doc)
		for _, p := range signers {
			must(svc.Sign(ctx, p, doc, nil))
		}
	}
	// sealedMinutes holds a meeting whose minutes the chair and the staff
	// checker signed.
	sealedMinutes := func(sec auth.Principal) int64 {
		id := held(sec)
		seal(sec, minutes.Main(id), chair, checker)
		return id
	}
	addendum := func(sec auth.Principal, id int64) minutes.Doc {
		must(svc.StartAddendum(ctx, sec, id, "A correction."))
		return minutes.Doc{MeetingID: id, Addendum: 1}
	}
	// inReview holds a meeting with the member caller as a checker and
	// its minutes, or an addendum to them, waiting for signatures.
	inReview := func(withAddendum bool) int64 {
		id := held(secretary, memberCaller.AccountID)
		doc := minutes.Main(id)
		if withAddendum {
			seal(secretary, doc, chair, memberCaller)
			doc = addendum(secretary, id)
		}
		submitted(secretary, doc)
		return id
	}
	draftMinutes := func() int64 {
		id := held(boardCaller)
		must(svc.Save(ctx, boardCaller, minutes.Main(id), "The first draft."))
		return id
	}
	draftAddendum := func() int64 {
		id := sealedMinutes(boardCaller)
		addendum(boardCaller, id)
		return id
	}
	withAddendum := sealedMinutes(secretary)
	seal(secretary, addendum(secretary, withAddendum), chair, checker)

	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	return strings.NewReplacer(
		"{minSealed}", id(sealedMinutes(secretary)),
		"{minAddendum}", id(withAddendum),
		"{minDraft}", id(draftMinutes()),
		"{minSubmitApi}", id(draftMinutes()),
		"{minSubmitPage}", id(draftMinutes()),
		"{minSignApi}", id(inReview(false)),
		"{minSignPage}", id(inReview(false)),
		"{minReturnApi}", id(inReview(false)),
		"{minReturnPage}", id(inReview(false)),
		"{minAddBeginApi}", id(sealedMinutes(boardCaller)),
		"{minAddBeginPage}", id(sealedMinutes(boardCaller)),
		"{minAddDraft}", id(draftAddendum()),
		"{minAddSubmitApi}", id(draftAddendum()),
		"{minAddSubmitPage}", id(draftAddendum()),
		"{minAddSignApi}", id(inReview(true)),
		"{minAddSignPage}", id(inReview(true)),
		"{minAddReturnApi}", id(inReview(true)),
		"{minAddReturnPage}", id(inReview(true)),
	)
}
