package registry

import (
	"context"
	"fmt"
)

// QuorumStrategyCounts reads how many strategies each quorum weighs, in one batch: the cost model
// of the planner's resolver scales gas with it.
func (r *Reader) QuorumStrategyCounts(ctx context.Context, quorums []uint8, block uint64) (map[uint8]int, error) {
	calls := make([]*call, len(quorums))
	for i, q := range quorums {
		calls[i] = r.sr("strategyParamsLength", q)
	}
	if err := r.batch.exec(ctx, calls, block); err != nil {
		return nil, fmt.Errorf("read strategy counts of quorums %v: %w", quorums, err)
	}
	out := make(map[uint8]int, len(quorums))
	for i, q := range quorums {
		n, err := bigResult(calls[i])
		if err != nil {
			return nil, fmt.Errorf("read strategy count of quorum %d: %w", q, err)
		}
		out[q] = int(n.Int64())
	}
	return out, nil
}
