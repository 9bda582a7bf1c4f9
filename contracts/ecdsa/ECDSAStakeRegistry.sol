// SPDX-License-Identifier: MIT
pragma solidity 0.8.27;

// A stand-in for the EigenLayer middleware's ECDSAStakeRegistry (src/unaudited), written for the
// devnet: the same external interface avs-sync reads and writes, the same events (so their topics
// match), and the same rules for weights, checkpoints and the whole-set update. What it leaves out
// is what avs-sync never touches: the ServiceManager/AVSDirectory calls at registration, and
// ERC-1271 signature checking against the stored weights.
contract ECDSAStakeRegistry {
    /// A strategy of the quorum and its multiplier in basis points.
    struct StrategyParams {
        address strategy;
        uint96 multiplier;
    }

    /// The registry's single quorum: strategies in ascending address order, multipliers summing to BPS.
    struct Quorum {
        StrategyParams[] strategies;
    }

    /// Registration's signature over the AVSDirectory digest (unchecked here: no AVSDirectory).
    struct SignatureWithSaltAndExpiry {
        bytes signature;
        bytes32 salt;
        uint256 expiry;
    }

    event OperatorRegistered(address indexed operator, address indexed avs);
    event OperatorDeregistered(address indexed operator, address indexed avs);
    event QuorumUpdated(Quorum previous, Quorum current);
    event MinimumWeightUpdated(uint256 previous, uint256 current);
    event OperatorWeightUpdated(address indexed operator, uint256 oldWeight, uint256 newWeight);
    event TotalWeightUpdated(uint256 oldTotalWeight, uint256 newTotalWeight);
    event ThresholdWeightUpdated(uint256 thresholdWeight);
    event SigningKeyUpdate(
        address indexed operator, uint256 indexed updateBlock, address indexed newSigningKey, address oldSigningKey
    );

    error InvalidQuorum();
    error NotSorted();
    error MustUpdateAllOperators();
    error OperatorAlreadyRegistered();
    error OperatorNotRegistered();
    error NotOwner();
    error AlreadyInitialized();
    error BlockNotYetMined();

    /// A value from a block on: the history of a weight or a key.
    struct Checkpoint {
        uint32 fromBlock;
        uint224 value;
    }

    uint256 internal constant BPS = 10000;

    address internal immutable DELEGATION_MANAGER;

    address public owner;
    bool internal initialized;
    uint256 internal totalOperators;
    Quorum internal currentQuorum;
    uint256 internal minWeight;
    address internal serviceManager;
    mapping(address => Checkpoint[]) internal signingKeyHistory;
    Checkpoint[] internal totalWeightHistory;
    Checkpoint[] internal thresholdWeightHistory;
    mapping(address => Checkpoint[]) internal operatorWeightHistory;
    mapping(address => bool) internal registered;

    constructor(address delegationManager) {
        DELEGATION_MANAGER = delegationManager;
    }

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner();
        _;
    }

    function initialize(address serviceManager_, uint256 thresholdWeight, Quorum memory quorum_) external {
        if (initialized) revert AlreadyInitialized();
        initialized = true;
        owner = msg.sender;
        serviceManager = serviceManager_;
        setThreshold(thresholdWeight);
        setQuorum(quorum_);
    }

    // Registration

    function registerOperatorWithSignature(SignatureWithSaltAndExpiry memory, address signingKey) external {
        address operator = msg.sender;
        if (registered[operator]) revert OperatorAlreadyRegistered();
        totalOperators++;
        registered[operator] = true;
        applyTotalDelta(refreshOperator(operator));
        setSigningKey(operator, signingKey);
        emit OperatorRegistered(operator, serviceManager);
    }

    function deregisterOperator() external {
        address operator = msg.sender;
        if (!registered[operator]) revert OperatorNotRegistered();
        totalOperators--;
        delete registered[operator];
        applyTotalDelta(refreshOperator(operator));
        emit OperatorDeregistered(operator, serviceManager);
    }

    function updateOperatorSigningKey(address newSigningKey) external {
        if (!registered[msg.sender]) revert OperatorNotRegistered();
        setSigningKey(msg.sender, newSigningKey);
    }

    // Weight updates: anyone may call them.

    function updateOperators(address[] memory operators) external {
        refreshOperators(operators);
    }

    /// The whole-set update: only the length of the first list is checked against the
    /// registered count; the bytes argument is ignored.
    function updateOperatorsForQuorum(address[][] memory operatorsPerQuorum, bytes memory) external {
        if (operatorsPerQuorum[0].length != totalOperators) revert MustUpdateAllOperators();
        refreshOperators(operatorsPerQuorum[0]);
    }

    // Owner's configuration

    function updateQuorumConfig(Quorum memory quorum_, address[] memory operators) external onlyOwner {
        setQuorum(quorum_);
        refreshOperators(operators);
    }

    function updateMinimumWeight(uint256 newMinimumWeight, address[] memory operators) external onlyOwner {
        uint256 previous = minWeight;
        minWeight = newMinimumWeight;
        emit MinimumWeightUpdated(previous, newMinimumWeight);
        refreshOperators(operators);
    }

    function updateStakeThreshold(uint256 thresholdWeight) external onlyOwner {
        setThreshold(thresholdWeight);
    }

    // Views

    function quorum() external view returns (Quorum memory) {
        return currentQuorum;
    }

    function minimumWeight() external view returns (uint256) {
        return minWeight;
    }

    function operatorRegistered(address operator) external view returns (bool) {
        return registered[operator];
    }

    function getLastCheckpointOperatorWeight(address operator) external view returns (uint256) {
        return latest(operatorWeightHistory[operator]);
    }

    function getLastCheckpointTotalWeight() external view returns (uint256) {
        return latest(totalWeightHistory);
    }

    function getLastCheckpointThresholdWeight() external view returns (uint256) {
        return latest(thresholdWeightHistory);
    }

    function getOperatorWeightAtBlock(address operator, uint32 blockNumber) external view returns (uint256) {
        return atBlock(operatorWeightHistory[operator], blockNumber);
    }

    function getLastCheckpointTotalWeightAtBlock(uint32 blockNumber) external view returns (uint256) {
        return atBlock(totalWeightHistory, blockNumber);
    }

    function getLastCheckpointThresholdWeightAtBlock(uint32 blockNumber) external view returns (uint256) {
        return atBlock(thresholdWeightHistory, blockNumber);
    }

    function getLatestOperatorSigningKey(address operator) external view returns (address) {
        return address(uint160(latest(signingKeyHistory[operator])));
    }

    function getOperatorSigningKeyAtBlock(address operator, uint256 blockNumber) external view returns (address) {
        return address(uint160(atBlock(signingKeyHistory[operator], blockNumber)));
    }

    /// The weight an update would store for a registered operator now: delegated shares times
    /// multipliers over BPS, 0 below the minimum weight. It does not look at registration.
    function getOperatorWeight(address operator) public view returns (uint256) {
        StrategyParams[] memory params = currentQuorum.strategies;
        address[] memory strategies = new address[](params.length);
        for (uint256 i; i < params.length; i++) {
            strategies[i] = params[i].strategy;
        }
        uint256[] memory shares = IDelegationShares(DELEGATION_MANAGER).getOperatorShares(operator, strategies);
        uint256 weight;
        for (uint256 i; i < params.length; i++) {
            weight += shares[i] * params[i].multiplier;
        }
        weight /= BPS;
        return weight >= minWeight ? weight : 0;
    }

    // Internals

    function refreshOperators(address[] memory operators) internal {
        int256 delta;
        for (uint256 i; i < operators.length; i++) {
            delta += refreshOperator(operators[i]);
        }
        applyTotalDelta(delta);
    }

    /// Stores the operator's weight (0 when not registered) when it changed, and returns the change.
    function refreshOperator(address operator) internal returns (int256) {
        uint256 oldWeight = latest(operatorWeightHistory[operator]);
        uint256 newWeight = registered[operator] ? getOperatorWeight(operator) : 0;
        int256 delta = int256(newWeight) - int256(oldWeight);
        if (delta == 0) return 0;
        push(operatorWeightHistory[operator], newWeight);
        emit OperatorWeightUpdated(operator, oldWeight, newWeight);
        return delta;
    }

    /// Moves the total weight by delta; the event and the checkpoint come even when delta is 0.
    function applyTotalDelta(int256 delta) internal {
        uint256 oldTotal = latest(totalWeightHistory);
        uint256 newTotal = uint256(int256(oldTotal) + delta);
        push(totalWeightHistory, newTotal);
        emit TotalWeightUpdated(oldTotal, newTotal);
    }

    function setThreshold(uint256 thresholdWeight) internal {
        push(thresholdWeightHistory, thresholdWeight);
        emit ThresholdWeightUpdated(thresholdWeight);
    }

    function setSigningKey(address operator, address newSigningKey) internal {
        address oldKey = address(uint160(latest(signingKeyHistory[operator])));
        if (oldKey == newSigningKey) return;
        push(signingKeyHistory[operator], uint160(newSigningKey));
        emit SigningKeyUpdate(operator, block.number, newSigningKey, oldKey);
    }

    function setQuorum(Quorum memory next) internal {
        address last;
        uint256 sum;
        for (uint256 i; i < next.strategies.length; i++) {
            address s = next.strategies[i].strategy;
            if (s <= last) revert NotSorted();
            last = s;
            sum += next.strategies[i].multiplier;
        }
        if (sum != BPS) revert InvalidQuorum();
        Quorum memory previous = currentQuorum;
        delete currentQuorum;
        for (uint256 i; i < next.strategies.length; i++) {
            currentQuorum.strategies.push(next.strategies[i]);
        }
        emit QuorumUpdated(previous, next);
    }

    function latest(Checkpoint[] storage history) internal view returns (uint256) {
        uint256 n = history.length;
        return n == 0 ? 0 : history[n - 1].value;
    }

    /// Writes value from this block on; a second write in the same block replaces the first.
    function push(Checkpoint[] storage history, uint256 value) internal {
        uint256 n = history.length;
        if (n > 0 && history[n - 1].fromBlock == block.number) {
            history[n - 1].value = uint224(value);
        } else {
            history.push(Checkpoint(uint32(block.number), uint224(value)));
        }
    }

    /// The value at the end of a mined block.
    function atBlock(Checkpoint[] storage history, uint256 blockNumber) internal view returns (uint256) {
        if (blockNumber >= block.number) revert BlockNotYetMined();
        uint256 lo;
        uint256 hi = history.length;
        while (lo < hi) {
            uint256 mid = (lo + hi) / 2;
            if (history[mid].fromBlock > blockNumber) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return hi == 0 ? 0 : history[hi - 1].value;
    }
}

/// The one DelegationManager read the registry makes.
interface IDelegationShares {
    function getOperatorShares(address operator, address[] memory strategies) external view returns (uint256[] memory);
}
