package submitter

import (
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"strings"

	"github.com/ethereum/go-ethereum/params"
)

// Default fee limits. The caps bound what one transaction may cost whatever the node suggests:
// 100 gwei is above mainnet's base fee on all but its busiest hours of recent years (and is
// Optimism's txmgr threshold for the same role), 3 gwei is above any tip a builder needs for a
// transaction that is not racing anyone. The floor keeps a zero suggestion from sending a
// transaction no builder includes.
var (
	DefaultMaxFeePerGas         = big.NewInt(100 * params.GWei)
	DefaultMaxPriorityFeePerGas = big.NewInt(3 * params.GWei)
	DefaultMinPriorityFeePerGas = big.NewInt(params.GWei / 10)
)

// replacementBump is the factor, as a fraction, by which a replacement raises both the tip and
// the fee cap of what it replaces: geth's pool asks for 10%, 12.5% leaves room for rounding and
// for pools that ask for more.
var replacementBump = big.NewRat(9, 8)

// FeeLimits bound the fees of every transaction the sender broadcasts, first sends and
// replacements alike. Zero fields take the defaults above.
type FeeLimits struct {
	// MaxFeePerGas caps a transaction's fee cap (EIP-1559 maxFeePerGas), in wei.
	MaxFeePerGas *big.Int
	// MaxPriorityFeePerGas caps its tip (maxPriorityFeePerGas), in wei.
	MaxPriorityFeePerGas *big.Int
	// MinPriorityFeePerGas is the least tip paid, whatever the node suggests, in wei.
	MinPriorityFeePerGas *big.Int
}

// withDefaults fills unset limits.
func (l FeeLimits) withDefaults() FeeLimits {
	if l.MaxFeePerGas == nil || l.MaxFeePerGas.Sign() == 0 {
		l.MaxFeePerGas = DefaultMaxFeePerGas
	}
	if l.MaxPriorityFeePerGas == nil || l.MaxPriorityFeePerGas.Sign() == 0 {
		l.MaxPriorityFeePerGas = DefaultMaxPriorityFeePerGas
	}
	if l.MinPriorityFeePerGas == nil {
		l.MinPriorityFeePerGas = DefaultMinPriorityFeePerGas
	}
	return l
}

// Validate checks that the limits are consistent (after defaults).
func (l FeeLimits) Validate() error {
	l = l.withDefaults()
	switch {
	case l.MaxFeePerGas.Sign() < 0 || l.MaxPriorityFeePerGas.Sign() < 0 || l.MinPriorityFeePerGas.Sign() < 0:
		return errors.New("fee limits must not be negative")
	case l.MaxPriorityFeePerGas.Cmp(l.MaxFeePerGas) > 0:
		return fmt.Errorf("--max-priority-fee-per-gas (%s gwei) is above --max-fee-per-gas (%s gwei)", Gwei(l.MaxPriorityFeePerGas), Gwei(l.MaxFeePerGas))
	case l.MinPriorityFeePerGas.Cmp(l.MaxPriorityFeePerGas) > 0:
		return fmt.Errorf("--min-priority-fee-per-gas (%s gwei) is above --max-priority-fee-per-gas (%s gwei)", Gwei(l.MinPriorityFeePerGas), Gwei(l.MaxPriorityFeePerGas))
	}
	return nil
}

// fees are the two EIP-1559 prices of one transaction, in wei per gas.
type fees struct {
	Tip    *big.Int // maxPriorityFeePerGas
	FeeCap *big.Int // maxFeePerGas
}

func (f fees) String() string {
	return fmt.Sprintf("tip %s gwei, fee cap %s gwei", Gwei(f.Tip), Gwei(f.FeeCap))
}

// price is what a first send pays at baseFee (the latest block's) when the node suggests tip
// suggested: the tip clamped to [min, max], the fee cap twice the base fee plus the tip (room for
// six full blocks of base fee rises) clamped to the cap. When the base fee plus the least tip is
// above the cap nothing can be sent: ErrFeeAboveCap.
func (l FeeLimits) price(baseFee, suggested *big.Int) (fees, error) {
	if baseFee == nil || baseFee.Sign() < 0 {
		return fees{}, errors.New("no base fee")
	}
	if suggested == nil || suggested.Sign() < 0 {
		suggested = new(big.Int)
	}
	floor := new(big.Int).Add(baseFee, l.MinPriorityFeePerGas)
	if floor.Cmp(l.MaxFeePerGas) > 0 {
		return fees{}, fmt.Errorf("base fee %s gwei plus minimum tip %s gwei is above --max-fee-per-gas %s gwei: %w",
			Gwei(baseFee), Gwei(l.MinPriorityFeePerGas), Gwei(l.MaxFeePerGas), ErrFeeAboveCap)
	}
	tip := bigMin(bigMax(suggested, l.MinPriorityFeePerGas), l.MaxPriorityFeePerGas)
	feeCap := new(big.Int).Add(new(big.Int).Mul(baseFee, big.NewInt(2)), tip)
	feeCap = bigMin(feeCap, l.MaxFeePerGas)
	// Under the cap, the tip that can be paid above the base fee is what is left of the cap.
	tip = bigMin(tip, new(big.Int).Sub(feeCap, baseFee))
	return fees{Tip: tip, FeeCap: feeCap}, nil
}

// replacement prices a transaction replacing one broadcast at prev, given fresh, what a first
// send would pay now: the higher of fresh and prev raised by 12.5%, in the tip and the fee cap
// each. ok is false when the caps leave no room for that: the pending transaction must be waited
// for, since an underpriced replacement would be refused.
func (l FeeLimits) replacement(prev, fresh fees) (f fees, ok bool) {
	tip := bigMax(fresh.Tip, bumped(prev.Tip))
	feeCap := bigMax(fresh.FeeCap, bumped(prev.FeeCap))
	feeCap = bigMax(feeCap, tip)
	if tip.Cmp(l.MaxPriorityFeePerGas) > 0 || feeCap.Cmp(l.MaxFeePerGas) > 0 {
		return fees{}, false
	}
	return fees{Tip: tip, FeeCap: feeCap}, true
}

// bumped is x raised by replacementBump, rounded up.
func bumped(x *big.Int) *big.Int {
	n := new(big.Int).Mul(x, replacementBump.Num())
	d := replacementBump.Denom()
	q, r := new(big.Int).QuoRem(n, d, new(big.Int))
	if r.Sign() > 0 {
		q.Add(q, big.NewInt(1))
	}
	return q
}

func bigMin(a, b *big.Int) *big.Int {
	if a.Cmp(b) <= 0 {
		return new(big.Int).Set(a)
	}
	return new(big.Int).Set(b)
}

func bigMax(a, b *big.Int) *big.Int {
	if a.Cmp(b) >= 0 {
		return new(big.Int).Set(a)
	}
	return new(big.Int).Set(b)
}

// gweiPattern is a plain non-negative decimal: digits, optionally a point and more digits.
var gweiPattern = regexp.MustCompile(`^[0-9]+(\.[0-9]*)?$|^\.[0-9]+$`)

// ParseGwei turns a decimal amount of gwei ("50", "0.5", "1.000000001") into wei. It rejects
// signs, exponents, fractions, NaN and anything finer than one wei.
func ParseGwei(s string) (*big.Int, error) {
	s = strings.TrimSpace(s)
	if !gweiPattern.MatchString(s) {
		return nil, fmt.Errorf("%q is not an amount of gwei (want a non-negative decimal such as 50 or 0.5)", s)
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return nil, fmt.Errorf("%q is not an amount of gwei", s)
	}
	r.Mul(r, new(big.Rat).SetInt64(params.GWei))
	if !r.IsInt() {
		return nil, fmt.Errorf("%q gwei is not a whole number of wei (at most 9 decimals)", s)
	}
	return new(big.Int).Set(r.Num()), nil
}

// Gwei formats wei as a decimal amount of gwei, exactly, without trailing zeros.
func Gwei(wei *big.Int) string {
	if wei == nil {
		return "<nil>"
	}
	return trimDecimal(new(big.Rat).SetFrac(wei, big.NewInt(params.GWei)).FloatString(9))
}

// gweiFloat is wei in gwei as a float, for gauges.
func gweiFloat(wei *big.Int) float64 {
	f, _ := new(big.Rat).SetFrac(wei, big.NewInt(params.GWei)).Float64()
	return f
}

// ethFloat is wei in ETH as a float, for gauges and counters.
func ethFloat(wei *big.Int) float64 {
	f, _ := new(big.Rat).SetFrac(wei, big.NewInt(params.Ether)).Float64()
	return f
}

func trimDecimal(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}
