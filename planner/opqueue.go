package planner

import (
	"container/heap"
	"iter"
	"maps"
	"slices"
	"time"

	"github.com/ethereum/go-ethereum/common"
)

// operatorQueue is the Planner's queue of operators: which operators the AVS has, which of them
// need an update and when they may be handed out, which are in outstanding batches, and the
// per-operator retry state (consecutive failures, parts of failed lists, work held back) and
// first unreflected events. It decides nothing about why an operator is dirty or what a batch
// holds besides operators: the Planner does, through these methods.
//
// Its invariants (checked by check in the tests): every key of dirty, group and firstEvents is
// registered; an entry of dirty is in waiting exactly when its operator is not in processing, and
// waiting holds nothing else; waiting is a heap on ready time with every entry's index current;
// an operator is handed out (moved into processing) only from waiting, so it is in at most one
// outstanding batch; failures stay below the MaxFailures they are counted against.
type operatorQueue struct {
	// registered is the AVS's operator set: the last setRegistered, plus register and minus forget
	// since. Work on operators outside it is ignored.
	registered map[common.Address]struct{}
	// dirty holds every operator that needs an update and is not in an outstanding batch, or was
	// dirtied again while in one. Every key is in registered. An entry is in waiting (index >= 0)
	// exactly when its operator is not in processing.
	dirty map[common.Address]*dirtyOp
	// waiting holds exactly the entries of dirty whose operator is not in processing, ordered by
	// ready time: popReady hands out its ready prefix.
	waiting opHeap
	// processing holds the operators handed out (popReady, popGroup) and not yet taken back.
	// Operators are handed out only from waiting, so an operator is in at most one outstanding
	// batch.
	processing map[common.Address]struct{}

	// failures counts each operator's consecutive failed updates, below the MaxFailures fail is
	// given; an entry is dropped when its update lands, when it is set aside, or by clearRetries
	// (never on a new event: see Planner.markDirty).
	failures map[common.Address]int
	// group holds, for an operator whose update failed in a list of several operators, the part
	// of that list it goes out with next (split): popGroup hands each part out on its own. An
	// entry is dropped when the operator's update lands, when it is set aside or when it leaves
	// the AVS; groups numbers the parts.
	group  map[common.Address]int
	groups int
	// heldBack holds operators left out of the updates and why (HeldImmaterial, HeldSetAside,
	// HeldBudget). The Planner holds back only operators that are not dirty, and a new event
	// for one held back as immaterial removes it from here; a set-aside one stays until
	// clearRetries or until the operator leaves (forget, setRegistered).
	heldBack map[common.Address]string

	// firstEvents holds the first unreflected event of operators (Planner.FirstEvents); every key
	// is in registered.
	firstEvents map[common.Address]FirstEvent
	// laterEvents holds, for operators in an outstanding batch, the first event noted after the
	// batch was handed out: the batch cannot reflect it, so when the batch reflects the first
	// event this one takes its place. Every key is in firstEvents.
	laterEvents map[common.Address]FirstEvent
}

// dirtyOp is an operator waiting to be handed out.
type dirtyOp struct {
	op common.Address
	// ready is when the operator may be handed out: its first dirtying plus Debounce (or the
	// MaxStaleness group's time), earlier for a retry, or later to go with work the budget
	// released (Planner.SetBudget).
	ready time.Time
	// index is the position in waiting, or -1 while the operator is in processing.
	index int
}

func newOperatorQueue() operatorQueue {
	return operatorQueue{
		registered:  make(map[common.Address]struct{}),
		dirty:       make(map[common.Address]*dirtyOp),
		processing:  make(map[common.Address]struct{}),
		failures:    make(map[common.Address]int),
		group:       make(map[common.Address]int),
		heldBack:    make(map[common.Address]string),
		firstEvents: make(map[common.Address]FirstEvent),
		laterEvents: make(map[common.Address]FirstEvent),
	}
}

// setRegistered replaces the registered set with operators, forgets everything held about
// operators outside it (forget), and returns the operators new to it.
func (q *operatorQueue) setRegistered(operators []common.Address) (added []common.Address) {
	prev := q.registered
	q.registered = make(map[common.Address]struct{}, len(operators))
	for _, op := range operators {
		q.registered[op] = struct{}{}
	}
	// Every entry keyed by an operator, but for a place in an outstanding batch, is about a
	// registered one: forgetting those that left leaves none about them.
	for op := range prev {
		if _, ok := q.registered[op]; !ok {
			q.forget(op)
		}
	}
	for op := range q.registered {
		if _, had := prev[op]; !had {
			added = append(added, op)
		}
	}
	return added
}

// register adds op to the registered set.
func (q *operatorQueue) register(op common.Address) { q.registered[op] = struct{}{} }

// isRegistered reports whether op is in the registered set.
func (q *operatorQueue) isRegistered(op common.Address) bool {
	_, ok := q.registered[op]
	return ok
}

// registeredOps iterates over the registered set.
func (q *operatorQueue) registeredOps() iter.Seq[common.Address] { return maps.Keys(q.registered) }

// forget removes op, which left the AVS, with everything held about it but its place in an
// outstanding batch.
func (q *operatorQueue) forget(op common.Address) {
	delete(q.registered, op)
	q.drop(op)
	delete(q.heldBack, op)
	delete(q.failures, op)
	delete(q.group, op)
	delete(q.firstEvents, op)
	delete(q.laterEvents, op)
}

// isDirty reports whether op needs an update not yet handed out.
func (q *operatorQueue) isDirty(op common.Address) bool {
	_, ok := q.dirty[op]
	return ok
}

// dirtyOps iterates over the dirty operators.
func (q *operatorQueue) dirtyOps() iter.Seq[common.Address] { return maps.Keys(q.dirty) }

// add makes op, registered and not yet dirty, dirty and ready at ready; unless it is in
// processing, it waits to be handed out.
func (q *operatorQueue) add(op common.Address, ready time.Time) {
	d := &dirtyOp{op: op, ready: ready, index: -1}
	q.dirty[op] = d
	if _, busy := q.processing[op]; !busy {
		heap.Push(&q.waiting, d)
	}
}

// markReady makes a registered op dirty and ready no later than at, and waiting.
func (q *operatorQueue) markReady(op common.Address, at time.Time) {
	d, ok := q.dirty[op]
	if !ok {
		q.add(op, at)
		return
	}
	if at.Before(d.ready) {
		d.ready = at
	}
	if d.index < 0 {
		heap.Push(&q.waiting, d)
	} else {
		heap.Fix(&q.waiting, d.index)
	}
}

// notBefore makes every dirty operator ready no earlier than at, waiting or dirtied again while
// in processing.
func (q *operatorQueue) notBefore(at time.Time) {
	moved := false
	for _, d := range q.dirty {
		if d.ready.Before(at) {
			d.ready = at
			moved = moved || d.index >= 0
		}
	}
	if moved {
		heap.Init(&q.waiting)
	}
}

// drop forgets that op is dirty.
func (q *operatorQueue) drop(op common.Address) {
	d, ok := q.dirty[op]
	if !ok {
		return
	}
	delete(q.dirty, op)
	if d.index >= 0 {
		heap.Remove(&q.waiting, d.index)
	}
}

// earliest returns the ready time of the first waiting operator; false when none waits.
func (q *operatorQueue) earliest() (time.Time, bool) {
	if len(q.waiting) == 0 {
		return time.Time{}, false
	}
	return q.waiting[0].ready, true
}

// popReady hands out every waiting operator ready at now, ascending: they move into processing.
func (q *operatorQueue) popReady(now time.Time) []common.Address {
	var out []common.Address
	for len(q.waiting) > 0 && !q.waiting[0].ready.After(now) {
		d := heap.Pop(&q.waiting).(*dirtyOp)
		q.claim(d.op)
		out = append(out, d.op)
	}
	slices.SortFunc(out, common.Address.Cmp)
	return out
}

// popGroup hands out the ready waiting operators of one part of a failed list (the lowest
// numbered with one ready; see split), ascending. It returns none when no such operator is ready.
func (q *operatorQueue) popGroup(now time.Time) []common.Address {
	if len(q.group) == 0 {
		return nil
	}
	id := 0
	for _, d := range q.waiting {
		if g, ok := q.group[d.op]; ok && !d.ready.After(now) && (id == 0 || g < id) {
			id = g
		}
	}
	if id == 0 {
		return nil
	}
	var out []common.Address
	for op, g := range q.group {
		d, ok := q.dirty[op]
		if g != id || !ok || d.index < 0 || d.ready.After(now) {
			continue
		}
		heap.Remove(&q.waiting, d.index)
		q.claim(op)
		out = append(out, op)
	}
	slices.SortFunc(out, common.Address.Cmp)
	return out
}

// claim moves op, no longer waiting, from dirty into processing.
func (q *operatorQueue) claim(op common.Address) {
	delete(q.dirty, op)
	q.processing[op] = struct{}{}
}

// release takes op back from processing; dirtied meanwhile, it stays dirty but waits only once
// landed, takeBack or fail says how.
func (q *operatorQueue) release(op common.Address) { delete(q.processing, op) }

// landed takes op back from processing after its update landed (or needed nothing): its retry
// state is dropped, and if it was dirtied meanwhile it waits again.
func (q *operatorQueue) landed(op common.Address) {
	delete(q.processing, op)
	delete(q.failures, op)
	delete(q.group, op)
	if d, ok := q.dirty[op]; ok && d.index < 0 {
		heap.Push(&q.waiting, d)
	}
}

// takeBack takes op back from processing and, if it is registered, makes it dirty and ready at
// now, without counting a failure.
func (q *operatorQueue) takeBack(op common.Address, now time.Time) {
	delete(q.processing, op)
	if q.isRegistered(op) {
		q.markReady(op, now)
	}
}

// fail takes op back from processing after a failed update and counts the failure: the operator
// is ready again after backoff(failures so far), or, at maxFailures (above 0) in a row, set aside
// (HeldSetAside) until clearRetries, which fail reports. An operator no longer registered is only
// taken back.
func (q *operatorQueue) fail(op common.Address, now time.Time, maxFailures int, backoff func(int) time.Duration) (setAside bool) {
	delete(q.processing, op)
	if !q.isRegistered(op) {
		return false
	}
	q.failures[op]++
	if n := q.failures[op]; maxFailures > 0 && n >= maxFailures {
		delete(q.failures, op)
		delete(q.group, op)
		q.drop(op)
		q.heldBack[op] = HeldSetAside
		return true
	}
	q.markReady(op, now.Add(backoff(q.failures[op])))
	return false
}

// split divides the operators of a list that failed together, once fail has counted the failure
// against each, into parts that popGroup hands out on their own. A part is half the list, or
// smaller: with k failures left before the first of them is set aside (maxFailures, 0 for never),
// at most 2^(k-1) operators, so that every part is down to one operator by its last attempt.
func (q *operatorQueue) split(list []common.Address, maxFailures int) {
	var left []common.Address
	most := 0
	for _, op := range list {
		if !q.isDirty(op) {
			continue // set aside or gone
		}
		left = append(left, op)
		most = max(most, q.failures[op])
	}
	if len(left) == 0 {
		return
	}
	slices.SortFunc(left, common.Address.Cmp)
	size := (len(left) + 1) / 2
	if maxFailures > 0 {
		k := maxFailures - most // at least 1: those at maxFailures were set aside
		size = min(size, 1<<min(k-1, 30))
	}
	for i := 0; i < len(left); i += size {
		q.groups++
		for _, op := range left[i:min(i+size, len(left))] {
			q.group[op] = q.groups
		}
	}
}

// hold records why op, not dirty, is left out of the updates; an operator no longer registered
// (an outcome of a batch handed out before it left) is not held back.
func (q *operatorQueue) hold(op common.Address, reason string) {
	if q.isRegistered(op) {
		q.heldBack[op] = reason
	}
}

// held returns why op is held back, or "".
func (q *operatorQueue) held(op common.Address) string { return q.heldBack[op] }

// unhold forgets that op is held back.
func (q *operatorQueue) unhold(op common.Address) { delete(q.heldBack, op) }

// unholdAll forgets every operator held back for reason and returns them.
func (q *operatorQueue) unholdAll(reason string) []common.Address {
	var out []common.Address
	for op, r := range q.heldBack {
		if r == reason {
			delete(q.heldBack, op)
			out = append(out, op)
		}
	}
	return out
}

// heldBackCopy returns a copy of the held-back operators and why.
func (q *operatorQueue) heldBackCopy() map[common.Address]string {
	out := make(map[common.Address]string, len(q.heldBack))
	maps.Copy(out, q.heldBack)
	return out
}

// clearRetries forgets every failure count and held-back operator: a sweep gives them their
// chance again. Parts of failed lists stay.
func (q *operatorQueue) clearRetries() {
	clear(q.heldBack)
	clear(q.failures)
}

// noteFirst records ev as op's first unreflected event unless one is noted; for an operator in
// an outstanding batch that has one, as the first event the batch cannot reflect, unless one is
// noted.
func (q *operatorQueue) noteFirst(op common.Address, ev FirstEvent) {
	if _, ok := q.firstEvents[op]; !ok {
		q.firstEvents[op] = ev
		return
	}
	if _, out := q.processing[op]; out {
		if _, ok := q.laterEvents[op]; !ok {
			q.laterEvents[op] = ev
		}
	}
}

// unreflected keeps op's first event after its batch came back without storing it: it covers
// any event noted while the batch was out.
func (q *operatorQueue) unreflected(op common.Address) { delete(q.laterEvents, op) }

// reflected drops op's first unreflected event; one noted while its batch was out takes its place.
func (q *operatorQueue) reflected(op common.Address) {
	if later, ok := q.laterEvents[op]; ok {
		q.firstEvents[op] = later
		delete(q.laterEvents, op)
		return
	}
	delete(q.firstEvents, op)
}

// opHeap orders dirty operators by ready time and keeps each entry's index current, so entries
// can be removed or moved (container/heap).
type opHeap []*dirtyOp

func (h opHeap) Len() int           { return len(h) }
func (h opHeap) Less(i, j int) bool { return h[i].ready.Before(h[j].ready) }
func (h opHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}
func (h *opHeap) Push(x any) {
	d := x.(*dirtyOp)
	d.index = len(*h)
	*h = append(*h, d)
}
func (h *opHeap) Pop() any {
	old := *h
	d := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	d.index = -1
	return d
}
