package server_test

import "maps"

// Who may download the export bundle of a meeting: auditors alone, as for
// the rest of /api/v1/audit. {minSealed} is a held meeting with sealed
// minutes (access_minutes_test.go).
var auditorRoutes = map[string]expect{
	"GET /api/v1/audit/meetings/:id/bundle": {path: "/api/v1/audit/meetings/{minSealed}/bundle", want: only(401, 200, auditor)},
}

func init() { maps.Copy(accessTable, auditorRoutes) }
