// Package rules holds the co-op's rules: the numbers of SPEC.md that the
// co-op sets for itself (notice periods, proxies, quorum, deadlines, the
// share contribution). Defaults follow the Finnish Co-operatives Act
// (Osuuskuntalaki 421/2013) as summarised by Pellervo and PRH. Only an
// admin changes them, and every change is audited with what it changed.
package rules

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/citizen-network/osk/internal/errs"
)

// Money is an amount in a currency, kept as a decimal string so that no
// floating point ever touches it.
type Money struct {
	Amount   string `json:"amount"`
	Currency string `json:"currency"`
}

// Rules are the co-op's rules, as in API.md ("The co-op's rules").
type Rules struct {
	// The notice of a general meeting goes out no earlier than
	// NoticeMaxMonths and no later than NoticeMinDays before it, or
	// NoticeWeightyMinDays when the agenda changes the rules or is
	// flagged weighty.
	NoticeMinDays        int `json:"notice_min_days"`
	NoticeMaxMonths      int `json:"notice_max_months"`
	NoticeWeightyMinDays int `json:"notice_weighty_min_days"`
	// Members ask for agenda items at the latest this many days before
	// the meeting.
	MemberMotionDeadlineDays int  `json:"member_motion_deadline_days"`
	ProxiesAllowed           bool `json:"proxies_allowed"`
	AdvanceVoting            bool `json:"advance_voting"`
	ProxyMaxPerHolder        int  `json:"proxy_max_per_holder"`
	// The Act sets no quorum; these are the co-op's defaults for a
	// meeting: a number of members represented and a percentage of the
	// active members. Zero means no requirement.
	QuorumMinMembers int `json:"quorum_min_members"`
	QuorumMinPercent int `json:"quorum_min_percent"`
	// A ballot needs at least this many votes cast to count.
	BallotMinVotes int `json:"ballot_min_votes"`
	// Signed minutes are due this many days after the meeting.
	MinutesDeadlineDays int `json:"minutes_deadline_days"`
	// FinancialYearEnd is "MM-DD"; the AGM is held within AGMWithinMonths
	// after it.
	FinancialYearEnd  string `json:"financial_year_end"`
	AGMWithinMonths   int    `json:"agm_within_months"`
	ShareContribution Money  `json:"share_contribution"`
}

// Defaults are the rules of a new co-op.
func Defaults() Rules {
	return Rules{
		NoticeMinDays:            7,
		NoticeMaxMonths:          2,
		NoticeWeightyMinDays:     30,
		MemberMotionDeadlineDays: 28,
		ProxiesAllowed:           true,
		AdvanceVoting:            false,
		ProxyMaxPerHolder:        3,
		QuorumMinMembers:         0,
		QuorumMinPercent:         0,
		BallotMinVotes:           0,
		MinutesDeadlineDays:      14,
		FinancialYearEnd:         "12-31",
		AGMWithinMonths:          6,
		ShareContribution:        Money{Amount: "0.00", Currency: "EUR"},
	}
}

var (
	amountPattern   = regexp.MustCompile(`^(0|[1-9][0-9]{0,9})(\.[0-9]{1,2})?$`)
	currencyPattern = regexp.MustCompile(`^[A-Z]{3}$`)
)

// Validate reports every impossible value, each under its JSON field name.
func (r Rules) Validate() error {
	var v errs.Validation
	between := func(field string, n, lo, hi int) {
		if n < lo || n > hi {
			v.Add(field, "Must be a whole number from %d to %d.", lo, hi)
		}
	}
	between("notice_min_days", r.NoticeMinDays, 1, 365)
	between("notice_max_months", r.NoticeMaxMonths, 1, 24)
	between("notice_weighty_min_days", r.NoticeWeightyMinDays, 1, 365)
	between("member_motion_deadline_days", r.MemberMotionDeadlineDays, 0, 365)
	between("proxy_max_per_holder", r.ProxyMaxPerHolder, 1, 100)
	between("quorum_min_members", r.QuorumMinMembers, 0, 10_000_000)
	between("quorum_min_percent", r.QuorumMinPercent, 0, 100)
	between("ballot_min_votes", r.BallotMinVotes, 0, 10_000_000)
	between("minutes_deadline_days", r.MinutesDeadlineDays, 1, 365)
	between("agm_within_months", r.AGMWithinMonths, 1, 18)

	// The window must stay a window: the latest notice comes after the
	// earliest one, and the weighty rule is at least the ordinary one.
	if !v.Has("notice_min_days") && !v.Has("notice_max_months") && r.NoticeMinDays >= r.NoticeMaxMonths*28 {
		v.Add("notice_min_days", "Must be shorter than the earliest notice, in months.")
	}
	if !v.Has("notice_weighty_min_days") {
		if r.NoticeWeightyMinDays < r.NoticeMinDays {
			v.Add("notice_weighty_min_days", "Must be at least the latest ordinary notice, in days.")
		} else if r.NoticeWeightyMinDays >= r.NoticeMaxMonths*28 {
			v.Add("notice_weighty_min_days", "Must be shorter than the earliest notice, in months.")
		}
	}
	if _, _, err := r.yearEnd(); err != nil {
		v.Add("financial_year_end", "Use the form MM-DD with a real date, for example 12-31.")
	}
	if !amountPattern.MatchString(r.ShareContribution.Amount) {
		v.Add("share_contribution.amount", "Use a non-negative amount with at most two decimals, for example \"50.00\".")
	}
	if !currencyPattern.MatchString(r.ShareContribution.Currency) {
		v.Add("share_contribution.currency", "Use a three-letter ISO 4217 code in capitals, for example EUR.")
	}
	return v.Err()
}

// twoDigits is a month or a day of MM-DD: digits only, which strconv
// alone would not hold to ("+1").
var twoDigits = regexp.MustCompile(`^[0-9]{2}$`)

func (r Rules) yearEnd() (time.Month, int, error) {
	mm, dd, ok := strings.Cut(r.FinancialYearEnd, "-")
	if !ok || !twoDigits.MatchString(mm) || !twoDigits.MatchString(dd) {
		return 0, 0, fmt.Errorf("rules: financial year end %q", r.FinancialYearEnd)
	}
	m, err1 := strconv.Atoi(mm)
	d, err2 := strconv.Atoi(dd)
	if err1 != nil || err2 != nil || m < 1 || m > 12 || d < 1 {
		return 0, 0, fmt.Errorf("rules: financial year end %q", r.FinancialYearEnd)
	}
	// February 29 is refused: a year end must exist every year.
	if d > time.Date(2023, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day() {
		return 0, 0, fmt.Errorf("rules: financial year end %q", r.FinancialYearEnd)
	}
	return time.Month(m), d, nil
}

// AGMDeadline is the last day an annual meeting held in the financial year
// after the one that ended before at may take place: AGMWithinMonths after
// the most recent financial year end on or before at.
func (r Rules) AGMDeadline(at time.Time) (time.Time, error) {
	m, d, err := r.yearEnd()
	if err != nil {
		return time.Time{}, err
	}
	year := at.Year()
	if time.Date(year, m, d, 0, 0, 0, 0, time.UTC).After(at) {
		year--
	}
	// Six months after 31 December is 30 June, not 1 July: count whole
	// months and keep the day within the target month.
	first := time.Date(year, m+time.Month(r.AGMWithinMonths), 1, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	return time.Date(first.Year(), first.Month(), min(d, last), 0, 0, 0, 0, time.UTC), nil
}
