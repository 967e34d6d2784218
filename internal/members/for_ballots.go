package members

// ElectorsQuery selects the electors at a time, given as $1: the members
// who were active then by the status history (the status of their last
// history row effective by then) and are active now, with the account that
// acts for them, as (id, member_no, kind, account_id), in no order. It is
// for internal/ballots, which writes a voting list from it in one
// statement, so that a register of a million members never travels
// through the application; who is an elector stays this package's rule.
//
// Each member's status at the time is looked up through
// member_status_history_member_idx, so that the query joined with the few
// members present at a meeting reads only their rows. For the whole
// register, AllElectorsQuery selects the same rows.
const ElectorsQuery = `
	SELECT m.id, m.member_no, m.kind, m.account_id
	FROM members m
	WHERE m.status = 'active' AND m.account_id IS NOT NULL
		AND (SELECT h.status FROM member_status_history h
			WHERE h.member_id = m.id AND h.effective_at <= $1
			ORDER BY h.effective_at DESC, h.id DESC
			LIMIT 1) = 'active'`

// AllElectorsQuery is ElectorsQuery for a whole register, as for a ballot
// of all members: each member's status at the time is read in one pass
// over member_status_history_member_idx (backwards, so that each member's
// last row comes first and nothing is sorted) and joined with the register
// in one pass, rather than looked up member by member, which took most of
// the time of opening a ballot of a million members. The status is joined
// as a boolean so that the planner, which cannot estimate how many of the
// last rows say 'active', expects half the register rather than a handful
// and does not choose a lookup per member after all.
const AllElectorsQuery = `
	SELECT m.id, m.member_no, m.kind, m.account_id
	FROM members m
	JOIN (SELECT DISTINCT ON (h.member_id) h.member_id, h.status = 'active' AS active
		FROM member_status_history h
		WHERE h.effective_at <= $1
		ORDER BY h.member_id DESC, h.effective_at DESC, h.id DESC) h ON h.member_id = m.id
	WHERE h.active AND m.status = 'active' AND m.account_id IS NOT NULL`
