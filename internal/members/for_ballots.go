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
// members present at a meeting reads only their rows.
const ElectorsQuery = `
	SELECT m.id, m.member_no, m.kind, m.account_id
	FROM members m
	WHERE m.status = 'active' AND m.account_id IS NOT NULL
		AND (SELECT h.status FROM member_status_history h
			WHERE h.member_id = m.id AND h.effective_at <= $1
			ORDER BY h.effective_at DESC, h.id DESC
			LIMIT 1) = 'active'`
