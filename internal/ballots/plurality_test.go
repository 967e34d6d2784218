package ballots

import (
	"encoding/hex"
	"slices"
	"testing"
)

func TestPlurality(t *testing.T) {
	seed := []byte("chain head")
	cands := []int64{1, 2, 3, 4}
	tests := []struct {
		name     string
		votes    [][]int64
		seats    int
		minVotes int
		elected  []int64
		tied     []int64 // the lot draws among these, nil for no lot
		cast     int
		blank    int
		quorum   bool
	}{
		{name: "seats filled in order", votes: [][]int64{{1, 2}, {1, 3}, {1, 2}, {4}}, seats: 2, elected: []int64{1, 2}, cast: 4, quorum: true},
		{name: "blank votes count for nobody", votes: [][]int64{{}, {3}, {}, {3, 4}}, seats: 1, elected: []int64{3}, cast: 2, blank: 2, quorum: true},
		{name: "two-way tie for the last seat", votes: [][]int64{{1, 2}, {1, 3}}, seats: 2, elected: []int64{1}, tied: []int64{2, 3}, cast: 2, quorum: true},
		{name: "three-way tie for the last seat", votes: [][]int64{{1, 2}, {1, 3}, {1, 4}}, seats: 2, elected: []int64{1}, tied: []int64{2, 3, 4}, cast: 3, quorum: true},
		{name: "three-way tie for two seats", votes: [][]int64{{2}, {3}, {4}}, seats: 2, tied: []int64{2, 3, 4}, cast: 3, quorum: true},
		{name: "tie that fits the seats", votes: [][]int64{{1, 2}, {1, 2}, {3}}, seats: 2, elected: []int64{1, 2}, cast: 3, quorum: true},
		{name: "tie below the last seat", votes: [][]int64{{1}, {1, 2}, {3}, {4}}, seats: 1, elected: []int64{1}, cast: 4, quorum: true},
		{name: "zero votes", votes: nil, seats: 2, cast: 0, quorum: true},
		{name: "only blank votes", votes: [][]int64{{}, {}}, seats: 1, blank: 2, quorum: true},
		{name: "fewer voted candidates than seats", votes: [][]int64{{1}}, seats: 3, elected: []int64{1}, cast: 1, quorum: true},
		{name: "no quorum", votes: [][]int64{{1}, {}}, seats: 1, minVotes: 2, cast: 1, blank: 1},
		{name: "a mark for no candidate is ignored", votes: [][]int64{{9, 2}}, seats: 1, elected: []int64{2}, cast: 1, quorum: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Plurality(tt.votes, cands, tt.seats, tt.minVotes, 10, seed)
			if r.Cast != tt.cast || r.Blank != tt.blank || r.QuorumMet != tt.quorum || r.Eligible != 10 {
				t.Fatalf("cast %d blank %d quorum %v eligible %d, want %d %d %v 10", r.Cast, r.Blank, r.QuorumMet, r.Eligible, tt.cast, tt.blank, tt.quorum)
			}
			if len(r.Candidates) != len(cands) {
				t.Fatalf("%d candidates listed, want %d", len(r.Candidates), len(cands))
			}
			want := slices.Clone(tt.elected)
			if tt.tied != nil {
				left := tt.seats - len(tt.elected)
				drawn := Draw(seed, tt.tied)[:left]
				if r.Lot == nil || r.Lot.Seed != hex.EncodeToString(seed) || !slices.Equal(r.Lot.Drawn, drawn) {
					t.Fatalf("lot %+v, want seed %x drawn %v", r.Lot, seed, drawn)
				}
				want = append(want, drawn...)
			} else if r.Lot != nil {
				t.Fatalf("lot %+v, want none", r.Lot)
			}
			got := r.Elected()
			if !slices.Equal(got, want) {
				t.Fatalf("elected %v, want %v (result %+v)", got, want, r)
			}
			for i := 1; i < len(r.Candidates); i++ {
				if r.Candidates[i-1].Votes < r.Candidates[i].Votes {
					t.Fatalf("candidates not ordered by votes: %+v", r.Candidates)
				}
			}
			again := Plurality(tt.votes, cands, tt.seats, tt.minVotes, 10, seed)
			if !r.SameCount(again) {
				t.Fatalf("the count is not reproducible: %+v then %+v", r, again)
			}
		})
	}
}

func TestDrawIsReproducibleAndOrderFree(t *testing.T) {
	tied := []int64{1, 2, 3, 4, 5, 6, 7, 8}
	reversed := slices.Clone(tied)
	slices.Reverse(reversed)
	a := Draw([]byte("a"), tied)
	if !slices.Equal(a, Draw([]byte("a"), reversed)) {
		t.Fatalf("the draw depends on the order the candidates are given in")
	}
	if slices.Equal(a, Draw([]byte("b"), tied)) {
		t.Fatalf("two seeds drew the same order %v", a)
	}
}

func TestResultJSONKeepsTheElectionShape(t *testing.T) {
	e := Plurality([][]int64{{1, 2}, {1, 3}}, []int64{1, 2, 3}, 2, 0, 5, []byte{1, 2})
	b, err := electionSummary(e).MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var back Result
	if err := back.UnmarshalJSON(b); err != nil {
		t.Fatal(err)
	}
	if back.Election == nil || !back.Election.SameCount(e) || back.Cast != 2 {
		t.Fatalf("%s read back as %+v", b, back)
	}
}
