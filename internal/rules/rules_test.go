package rules

import (
	"errors"
	"testing"
	"time"

	"github.com/citizen-network/osk/internal/errs"
)

func TestDefaults_AreValid(t *testing.T) {
	if err := Defaults().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestValidate_RefusesImpossibleValuesNamingTheField(t *testing.T) {
	cases := []struct {
		field  string
		change func(r *Rules)
	}{
		{"notice_min_days", func(r *Rules) { r.NoticeMinDays = 0 }},
		{"notice_min_days", func(r *Rules) { r.NoticeMinDays = 70 }},
		{"notice_max_months", func(r *Rules) { r.NoticeMaxMonths = 0 }},
		{"notice_weighty_min_days", func(r *Rules) { r.NoticeWeightyMinDays = 3 }},
		{"notice_weighty_min_days", func(r *Rules) { r.NoticeWeightyMinDays = 60 }},
		{"member_motion_deadline_days", func(r *Rules) { r.MemberMotionDeadlineDays = -1 }},
		{"proxy_max_per_holder", func(r *Rules) { r.ProxyMaxPerHolder = 0 }},
		{"quorum_min_members", func(r *Rules) { r.QuorumMinMembers = -5 }},
		{"quorum_min_percent", func(r *Rules) { r.QuorumMinPercent = 101 }},
		{"ballot_min_votes", func(r *Rules) { r.BallotMinVotes = -1 }},
		{"minutes_deadline_days", func(r *Rules) { r.MinutesDeadlineDays = 0 }},
		{"agm_within_months", func(r *Rules) { r.AGMWithinMonths = 19 }},
		{"financial_year_end", func(r *Rules) { r.FinancialYearEnd = "02-30" }},
		{"financial_year_end", func(r *Rules) { r.FinancialYearEnd = "02-29" }},
		{"financial_year_end", func(r *Rules) { r.FinancialYearEnd = "13-01" }},
		{"financial_year_end", func(r *Rules) { r.FinancialYearEnd = "+1-+3" }},
		{"financial_year_end", func(r *Rules) { r.FinancialYearEnd = " 1-31" }},
		{"financial_year_end", func(r *Rules) { r.FinancialYearEnd = "12/31" }},
		{"share_contribution.amount", func(r *Rules) { r.ShareContribution.Amount = "-1.00" }},
		{"share_contribution.amount", func(r *Rules) { r.ShareContribution.Amount = "1.005" }},
		{"share_contribution.amount", func(r *Rules) { r.ShareContribution.Amount = "1e3" }},
		{"share_contribution.currency", func(r *Rules) { r.ShareContribution.Currency = "eur" }},
	}
	for _, tc := range cases {
		r := Defaults()
		tc.change(&r)
		err := r.Validate()
		var v *errs.Validation
		if !errors.As(err, &v) || !v.Has(tc.field) {
			t.Errorf("%+v: want a problem with %s, got %v", r, tc.field, err)
		}
	}
}

func TestAGMDeadline(t *testing.T) {
	r := Defaults()
	day := func(s string) time.Time {
		d, _ := time.Parse("2006-01-02", s)
		return d
	}
	for at, want := range map[string]string{
		"2027-05-20": "2027-06-30",
		"2027-12-31": "2028-06-30",
		"2028-01-15": "2028-06-30",
	} {
		got, err := r.AGMDeadline(day(at))
		if err != nil || !got.Equal(day(want)) {
			t.Errorf("AGMDeadline(%s) = %s, %v; want %s", at, got.Format("2006-01-02"), err, want)
		}
	}
}
