package registry

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"slices"

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

// StaleStakes is the stale-stakes rule of the AVS as its signature checkers and the
// DelegationManager state it at one block.
type StaleStakes struct {
	// Block is the block the rule was read at.
	Block uint64
	// Forbidden is set when a checker forbids stale stakes, or cannot say (Unreadable): each
	// quorum must then be refreshed whole within DelayBlocks of its last whole refresh.
	Forbidden bool
	// ForbiddenBy are the checkers whose staleStakesForbidden() is true.
	ForbiddenBy []common.Address
	// Unreadable are the checkers whose staleStakesForbidden() reverted or answered nothing: a
	// checker that cannot say is taken to forbid stale stakes, since a missed deadline rejects
	// every certificate while a needless refresh per withdrawal delay costs one transaction.
	Unreadable []common.Address
	// DelayBlocks is DelegationManager.minWithdrawalDelayBlocks(); DelayKnown is false where the
	// DelegationManager has no such function, and then no deadline can be kept.
	DelayBlocks uint64
	DelayKnown  bool
}

// SignatureCheckers are the contracts whose staleStakesForbidden() the reader follows: those given
// by WithSignatureCheckers, else the service manager.
func (r *Reader) SignatureCheckers() []common.Address {
	if len(r.checkers) > 0 {
		return slices.Clone(r.checkers)
	}
	if r.c.ServiceManager == (common.Address{}) {
		return nil
	}
	return []common.Address{r.c.ServiceManager}
}

// StaleStakes reads the stale-stakes rule at block (0 = the latest block) in one round trip: every
// signature checker's staleStakesForbidden() and the withdrawal delay.
func (r *Reader) StaleStakes(ctx context.Context, block uint64) (StaleStakes, error) {
	block, err := r.resolveBlock(ctx, block)
	if err != nil {
		return StaleStakes{}, err
	}
	checkers := r.SignatureCheckers()
	calls := make([]*call, 0, len(checkers)+1)
	for _, c := range checkers {
		calls = append(calls, &call{to: c, abi: r.abis.sig, method: "staleStakesForbidden"})
	}
	var delay *call
	if r.c.DelegationManager != (common.Address{}) {
		delay = &call{to: r.c.DelegationManager, abi: r.abis.dm, method: "minWithdrawalDelayBlocks"}
		calls = append(calls, delay)
	}
	if err := r.batch.exec(ctx, calls, block); err != nil {
		return StaleStakes{}, fmt.Errorf("read the stale-stakes rule at block %d: %w", block, err)
	}
	out := StaleStakes{Block: block}
	for i, c := range checkers {
		vals, err := calls[i].result()
		switch {
		case errors.Is(err, ErrAbsent):
			out.Unreadable = append(out.Unreadable, c)
		case err != nil:
			return StaleStakes{}, fmt.Errorf("read staleStakesForbidden of signature checker %s at block %d: %w", c, block, err)
		default:
			if forbidden, ok := vals[0].(bool); ok && forbidden {
				out.ForbiddenBy = append(out.ForbiddenBy, c)
			}
		}
	}
	out.Forbidden = len(out.ForbiddenBy) > 0 || len(out.Unreadable) > 0
	if delay != nil {
		v, err := bigResult(delay)
		switch {
		case errors.Is(err, ErrAbsent):
		case err != nil:
			return StaleStakes{}, fmt.Errorf("read minWithdrawalDelayBlocks of delegation manager %s at block %d: %w", r.c.DelegationManager, block, err)
		case !v.IsUint64():
			return StaleStakes{}, fmt.Errorf("minWithdrawalDelayBlocks %s of delegation manager %s out of range", v, r.c.DelegationManager)
		default:
			out.DelayBlocks, out.DelayKnown = v.Uint64(), true
		}
	}
	return out, nil
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
