package ballots

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"slices"
)

// ElectionResult is API.md's RESULT of an election ballot.
type ElectionResult struct {
	// Cast counts the votes that mark at least one candidate; Blank the
	// votes that mark none. Blank votes are recorded but, like abstentions
	// on a motion, count neither towards the quorum nor for anyone.
	Cast       int               `json:"cast"`
	Blank      int               `json:"blank"`
	Eligible   int               `json:"eligible"`
	QuorumMet  bool              `json:"quorum_met"`
	Candidates []CandidateResult `json:"candidates"`
	Lot        *Lot              `json:"lot"`
}

// CandidateResult is one candidate's count.
type CandidateResult struct {
	ID      int64  `json:"id"`
	Name    string `json:"name"`
	Votes   int    `json:"votes"`
	Elected bool   `json:"elected"`
}

// Lot is the drawing of lots for the last seats: the seed (hex) it was
// drawn from and the candidates it elected, in the order drawn.
type Lot struct {
	Seed  string  `json:"seed"`
	Drawn []int64 `json:"drawn"`
}

// Plurality counts an election by plurality (SPEC.md, "Elections"):
//
//   - Each vote lists the candidates it marks; an empty vote is blank.
//     Votes were checked when cast (at most seats candidates, each on the
//     ballot and marked once); a mark for a candidate not in candidates is
//     ignored here rather than trusted.
//   - The ballot quorum is met when at least minVotes votes are cast
//     (blank votes are not); without it nobody is elected.
//   - The candidates with the most votes fill the seats in that order. A
//     candidate nobody voted for is never elected, so seats may stay
//     empty.
//   - When candidates tied for the last seats outnumber the seats left,
//     the lot decides: the tied candidates are ordered by SHA-256 of the
//     seed followed by the candidate id as 8 bytes big-endian, and the
//     first ones take the seats left. Anyone holding the seed (the audit
//     chain head just before the close) can redraw it.
//
// Candidates are listed by votes, most first; among equal votes the
// elected first, in the order of the lot, then by id.
func Plurality(votes [][]int64, candidates []int64, seats, minVotes, eligible int, seed []byte) ElectionResult {
	r := ElectionResult{Eligible: eligible, Candidates: make([]CandidateResult, 0, len(candidates))}
	count := make(map[int64]int, len(candidates))
	for _, id := range candidates {
		count[id] = 0
	}
	for _, v := range votes {
		if len(v) == 0 {
			r.Blank++
			continue
		}
		r.Cast++
		for _, id := range v {
			if _, ok := count[id]; ok {
				count[id]++
			}
		}
	}
	r.QuorumMet = r.Cast >= minVotes
	ids := make([]int64, 0, len(count))
	for id := range count {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b int64) int {
		if count[a] != count[b] {
			return count[b] - count[a]
		}
		return compareInt64(a, b)
	})
	elected := map[int64]bool{}
	rank := map[int64]int{}
	if r.QuorumMet {
		// Candidates with votes, most first; a tie for the last seat is a
		// run of equal counts that crosses the seats boundary.
		var voted []int64
		for _, id := range ids {
			if count[id] > 0 {
				voted = append(voted, id)
			}
		}
		if len(voted) <= seats {
			for _, id := range voted {
				elected[id] = true
			}
		} else {
			last := count[voted[seats-1]]
			var above, tied []int64
			for _, id := range voted {
				switch {
				case count[id] > last:
					above = append(above, id)
				case count[id] == last:
					tied = append(tied, id)
				}
			}
			for _, id := range above {
				elected[id] = true
			}
			left := seats - len(above)
			if len(tied) == left {
				for _, id := range tied {
					elected[id] = true
				}
			} else {
				drawn := Draw(seed, tied)[:left]
				for i, id := range drawn {
					elected[id], rank[id] = true, i+1
				}
				r.Lot = &Lot{Seed: hex.EncodeToString(seed), Drawn: drawn}
			}
		}
	}
	slices.SortStableFunc(ids, func(a, b int64) int {
		switch {
		case count[a] != count[b]:
			return count[b] - count[a]
		case elected[a] != elected[b]:
			if elected[a] {
				return -1
			}
			return 1
		case rank[a] != rank[b]:
			return rank[a] - rank[b]
		}
		return compareInt64(a, b)
	})
	for _, id := range ids {
		r.Candidates = append(r.Candidates, CandidateResult{ID: id, Votes: count[id], Elected: elected[id]})
	}
	return r
}

// Draw orders candidates by lot: by SHA-256 of seed || id (8 bytes,
// big-endian), smallest first. It returns a new slice.
func Draw(seed []byte, candidates []int64) []int64 {
	keys := make(map[int64][]byte, len(candidates))
	for _, id := range candidates {
		h := sha256.New()
		h.Write(seed)
		h.Write(binary.BigEndian.AppendUint64(nil, uint64(id)))
		keys[id] = h.Sum(nil)
	}
	out := slices.Clone(candidates)
	slices.SortFunc(out, func(a, b int64) int {
		if c := bytes.Compare(keys[a], keys[b]); c != 0 {
			return c
		}
		return compareInt64(a, b)
	})
	return out
}

func compareInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// SameCount reports whether two counts of an election agree on everything
// but the candidates' names, which are not part of the votes.
func (r ElectionResult) SameCount(o ElectionResult) bool {
	if r.Cast != o.Cast || r.Blank != o.Blank || r.Eligible != o.Eligible || r.QuorumMet != o.QuorumMet ||
		len(r.Candidates) != len(o.Candidates) || (r.Lot == nil) != (o.Lot == nil) {
		return false
	}
	for i, c := range r.Candidates {
		d := o.Candidates[i]
		if c.ID != d.ID || c.Votes != d.Votes || c.Elected != d.Elected {
			return false
		}
	}
	return r.Lot == nil || (r.Lot.Seed == o.Lot.Seed && slices.Equal(r.Lot.Drawn, o.Lot.Drawn))
}

// Elected lists the elected candidates' ids, in the order of the result.
func (r ElectionResult) Elected() []int64 {
	var out []int64
	for _, c := range r.Candidates {
		if c.Elected {
			out = append(out, c.ID)
		}
	}
	return out
}

// MarshalJSON writes an election's result in its own shape and a
// motion's as RESULT.
func (r Result) MarshalJSON() ([]byte, error) {
	if r.Election != nil {
		return json.Marshal(r.Election)
	}
	type plain Result
	return json.Marshal(plain(r))
}

// UnmarshalJSON reads either shape; an election's result is the one with
// candidates.
func (r *Result) UnmarshalJSON(b []byte) error {
	var probe struct {
		Candidates json.RawMessage `json:"candidates"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return err
	}
	if probe.Candidates != nil {
		var e ElectionResult
		if err := json.Unmarshal(b, &e); err != nil {
			return err
		}
		*r = electionSummary(e)
		return nil
	}
	type plain Result
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*r = Result(p)
	return nil
}

// electionSummary wraps an election's count in a Result, with the totals
// that the pages and the live feed read from any ballot.
func electionSummary(e ElectionResult) Result {
	return Result{
		Cast: e.Cast, Abstain: e.Blank, Voted: e.Cast + e.Blank, Eligible: e.Eligible,
		QuorumMet: e.QuorumMet, Election: &e,
	}
}

// electionVotes lists the candidates marked by each vote.
func electionVotes(votes []voteRow) [][]int64 {
	out := make([][]int64, len(votes))
	for i, v := range votes {
		out[i] = []int64(v.CandidateIDs)
	}
	return out
}
