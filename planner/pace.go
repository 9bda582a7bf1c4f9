package planner

import (
	"sync"

	"github.com/ethereum/go-ethereum/common"
)

// PaceFloor is the share of the gas budget spent on whatever comes first: while the window holds
// less, every change goes out after the debounce (fresh while the budget is plentiful). Past it a
// change goes only while the window holds less than its share: PaceFloor plus the rest of the
// limit in proportion to its rank among the changes seen (the share of them worth less per gas).
// The last of the budget is kept for the changes worth the most: a large change that comes once
// the small ones have spent half the budget still finds room.
const PaceFloor = 0.5

// valueMemory is how many operators' latest values per gas the pace ranks against.
const valueMemory = 1024

// valueHistory is the latest value per gas of the operators seen as budgeted candidates, the
// most recent valueMemory of them: the scale a candidate is ranked on, in the AVS's own terms
// (misattributed stake per gas), whatever the tokens' decimals or the multipliers' scale.
type valueHistory struct {
	mu sync.Mutex
	// perGas is each remembered operator's latest value per gas; order the operators, oldest
	// first; len(order) == len(perGas) <= valueMemory.
	perGas map[common.Address]float64
	order  []common.Address
}

// note remembers the candidates' values per gas; certificate-critical ones are not ranked.
func (h *valueHistory) note(cands []Candidate) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.perGas == nil {
		h.perGas = map[common.Address]float64{}
	}
	for _, c := range cands {
		if c.Critical {
			continue
		}
		if _, ok := h.perGas[c.Operator]; !ok {
			if len(h.order) == valueMemory {
				delete(h.perGas, h.order[0])
				h.order = h.order[1:]
			}
			h.order = append(h.order, c.Operator)
		}
		h.perGas[c.Operator] = c.PerGas()
	}
}

// share is the part of the budget c may spend: PaceFloor, plus the rest in proportion to its
// rank among the remembered operators' values per gas. A certificate-critical candidate may
// spend all of it.
func (h *valueHistory) share(c Candidate) float64 {
	if c.Critical {
		return 1
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	v := c.PerGas()
	below := 0
	for _, x := range h.perGas {
		if x < v {
			below++
		}
	}
	// The rank is (below+1)/(seen+1): with few values seen (a restart forgets them) it stays
	// near the middle, neither the least nor the most a rank can be, and it tends to the share
	// of values below as they accumulate.
	return PaceFloor + (1-PaceFloor)*float64(below+1)/float64(len(h.perGas)+1)
}
