package registry

import (
	"context"
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
)

// StakeType is how a quorum counts stake (StakeRegistry.stakeTypePerQuorum).
type StakeType uint8

const (
	// TotalDelegated counts all stake delegated to the operator (the only kind before slashing).
	TotalDelegated StakeType = 0
	// TotalSlashable counts the stake the operator allocated to the operator set, as of
	// block.number + the quorum's lookahead.
	TotalSlashable StakeType = 1
)

// String names the stake type for logs.
func (t StakeType) String() string {
	switch t {
	case TotalDelegated:
		return "total_delegated"
	case TotalSlashable:
		return "total_slashable"
	}
	return fmt.Sprintf("stake_type(%d)", uint8(t))
}

// Quorum is one quorum's parameters and state.
type Quorum struct {
	Number uint8
	// UpdateBlock is the block of the last updateOperatorsForQuorum (quorumUpdateBlockNumber).
	UpdateBlock uint64
	// StakeType is TotalDelegated where the StakeRegistry predates stake types.
	StakeType StakeType
	// Lookahead is the slashable-stake lookahead in blocks; 0 where absent.
	Lookahead uint64
	// Minimum is the minimum stake to stay in the quorum.
	Minimum *big.Int
	// OperatorCount is the number of operators registered in the quorum.
	OperatorCount int
	// MaxOperators is the quorum's operator cap (getOperatorSetParams' maxOperatorCount): at it,
	// a registration churns out an operator, judged by its stored stake. 0 where unreadable.
	MaxOperators uint32
}

// Full reports whether the quorum is at its operator cap.
func (q Quorum) Full() bool { return q.MaxOperators > 0 && q.OperatorCount >= int(q.MaxOperators) }

// operatorSetParam is RegistryCoordinator.getOperatorSetParams' answer.
type operatorSetParam struct {
	MaxOperatorCount        uint32
	KickBIPsOfOperatorStake uint16
	KickBIPsOfTotalStake    uint16
}

// Quorums reads every quorum's parameters at block (0 = the latest block) in two round trips
// (quorum count, then the parameters of all quorums).
func (r *Reader) Quorums(ctx context.Context, block uint64) ([]Quorum, error) {
	block, err := r.resolveBlock(ctx, block)
	if err != nil {
		return nil, err
	}
	n, err := r.quorumCount(ctx, block)
	if err != nil {
		return nil, err
	}
	type quorumCalls struct{ update, stakeType, lookahead, minimum, count, params *call }
	per := make([]quorumCalls, n)
	var calls []*call
	for q := range per {
		qc := quorumCalls{
			update:    r.rc("quorumUpdateBlockNumber", uint8(q)),
			stakeType: r.sr("stakeTypePerQuorum", uint8(q)),
			lookahead: r.sr("slashableStakeLookAheadPerQuorum", uint8(q)),
			minimum:   r.sr("minimumStakeForQuorum", uint8(q)),
			count:     r.ir("totalOperatorsForQuorum", uint8(q)),
			params:    r.rc("getOperatorSetParams", uint8(q)),
		}
		per[q] = qc
		calls = append(calls, qc.update, qc.stakeType, qc.lookahead, qc.minimum, qc.count, qc.params)
	}
	if err := r.batch.exec(ctx, calls, block); err != nil {
		return nil, fmt.Errorf("read parameters of %d quorums at block %d: %w", n, block, err)
	}
	out := make([]Quorum, n)
	for q, qc := range per {
		qu := Quorum{Number: uint8(q)}
		upd, err := bigResult(qc.update)
		if err != nil {
			return nil, fmt.Errorf("read update block of quorum %d at block %d: %w", q, block, err)
		}
		qu.UpdateBlock = upd.Uint64()
		if qu.Minimum, err = bigResult(qc.minimum); err != nil {
			return nil, fmt.Errorf("read minimum stake of quorum %d at block %d: %w", q, block, err)
		}
		count, err := bigResult(qc.count)
		if err != nil {
			return nil, fmt.Errorf("read operator count of quorum %d at block %d: %w", q, block, err)
		}
		qu.OperatorCount = int(count.Int64())
		// Pre-slashing StakeRegistries have neither stake types nor lookaheads.
		st, err := optionalBig(qc.stakeType)
		if err != nil {
			return nil, fmt.Errorf("read stake type of quorum %d at block %d: %w", q, block, err)
		}
		qu.StakeType = StakeType(st.Uint64())
		la, err := optionalBig(qc.lookahead)
		if err != nil {
			return nil, fmt.Errorf("read lookahead of quorum %d at block %d: %w", q, block, err)
		}
		qu.Lookahead = la.Uint64()
		if qu.MaxOperators, err = maxOperators(qc.params); err != nil {
			return nil, fmt.Errorf("read operator cap of quorum %d at block %d: %w", q, block, err)
		}
		out[q] = qu
	}
	return out, nil
}

// StaleStakesForbidden reports whether the service manager's BLSSignatureChecker rejects
// signatures over stakes older than the withdrawal delay. A service manager without the function
// (removed from later middleware releases) reads as false.
func (r *Reader) StaleStakesForbidden(ctx context.Context) (bool, error) {
	if r.c.ServiceManager == (common.Address{}) {
		return false, nil
	}
	block, err := r.resolveBlock(ctx, 0)
	if err != nil {
		return false, err
	}
	c := &call{to: r.c.ServiceManager, abi: r.abis.sig, method: "staleStakesForbidden"}
	if err := r.batch.exec(ctx, []*call{c}, block); err != nil {
		return false, fmt.Errorf("read staleStakesForbidden of service manager %s: %w", r.c.ServiceManager, err)
	}
	vals, err := c.result()
	if errors.Is(err, ErrAbsent) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read staleStakesForbidden of service manager %s: %w", r.c.ServiceManager, err)
	}
	forbidden, ok := vals[0].(bool)
	return ok && forbidden, nil
}

// WithdrawalDelayBlocks reads DelegationManager.minWithdrawalDelayBlocks(), the window after
// quorumUpdateBlockNumber within which stale-stake-forbidding AVSs accept signatures. ok is false
// when the DelegationManager has no such function.
func (r *Reader) WithdrawalDelayBlocks(ctx context.Context) (blocks uint64, ok bool, err error) {
	if r.c.DelegationManager == (common.Address{}) {
		return 0, false, nil
	}
	block, err := r.resolveBlock(ctx, 0)
	if err != nil {
		return 0, false, err
	}
	c := &call{to: r.c.DelegationManager, abi: r.abis.dm, method: "minWithdrawalDelayBlocks"}
	if err := r.batch.exec(ctx, []*call{c}, block); err != nil {
		return 0, false, fmt.Errorf("read minWithdrawalDelayBlocks of delegation manager %s: %w", r.c.DelegationManager, err)
	}
	v, err := bigResult(c)
	if errors.Is(err, ErrAbsent) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("read minWithdrawalDelayBlocks of delegation manager %s: %w", r.c.DelegationManager, err)
	}
	return v.Uint64(), true, nil
}

// maxOperators decodes getOperatorSetParams' cap; a coordinator without the function reads as no
// cap (0).
func maxOperators(c *call) (uint32, error) {
	vals, err := c.result()
	if errors.Is(err, ErrAbsent) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	p, ok := abi.ConvertType(vals[0], new(operatorSetParam)).(*operatorSetParam)
	if !ok {
		return 0, fmt.Errorf("decode getOperatorSetParams: unexpected %T", vals[0])
	}
	return p.MaxOperatorCount, nil
}

// optionalBig decodes an integer from a function that may be absent, which reads as zero.
func optionalBig(c *call) (*big.Int, error) {
	v, err := bigResult(c)
	if errors.Is(err, ErrAbsent) {
		return new(big.Int), nil
	}
	return v, err
}
