// SPDX-License-Identifier: Apache-2.0
// zerog devnet: a stand-in for 0G Storage's FixedPriceFlow + FixedPrice market.
//
// Written from the protocol description (docs/protocol/storage.md §4.3, §6), not copied from 0G's contracts.
// What is modelled faithfully (a client or storage-node emulator can rely on it):
//   * both submit ABIs: current submit(((uint256,bytes,(bytes32,uint256)[]),address)) = 0xbc8c11f8
//     and legacy submit((uint256,bytes,(bytes32,uint256)[])) = 0xef3e12dc (submitter = msg.sender),
//     plus batchSubmit in both shapes;
//   * the Submission.valid() rule (§4.3), reported through one custom error per broken rule;
//   * fee = Σ 2^height × market.pricePerSector(), exactly the fee forwarded to the market,
//     NotEnoughFee(price, sectors, paid) on underpayment (same selector as the real contract);
//   * flow placement (FlowTreeLib.pad/insertNode, §6.4): the flow starts with one reserved sector
//     (length 1), each node is aligned to 2^height, and a submission that would straddle a
//     1024-sector segment boundary from an unaligned start moves to the next segment;
//   * the Submit event, byte-identical to the real one (topic0 0x167ce04d…5555).
// Simplified (documented in tools/devnet/README.md):
//   * no incremental flow Merkle tree, no mining epochs/contexts, no pause/roles, no proxy;
//   * "paid" is the value of the current transaction not yet consumed by earlier submissions of the
//     same batch (the real contract compares against its whole balance, so earlier surplus counts);
//     as on the real network, any surplus stays in the Flow contract.
pragma solidity ^0.8.24;

struct SubmissionNode {
    bytes32 root;
    uint256 height;
}

struct SubmissionData {
    uint256 length; // file size in bytes, without padding
    bytes tags;
    SubmissionNode[] nodes;
}

struct Submission {
    SubmissionData data;
    address submitter;
}

/// Fixed price per 256-byte sector. Receives the storage fee from the Flow.
contract FixedPrice {
    address public immutable flow;
    address public owner;
    uint256 public pricePerSector;

    // Book-keeping only (the real market splits fees into reward pools).
    uint256 public totalFeeReceived;
    uint256 public chargedSectors;
    uint256 public paddingSectors;

    event PricePerSectorUpdated(uint256 pricePerSector);
    event FeeCharged(uint256 beforeLength, uint256 uploadSectors, uint256 paddingSectors, uint256 fee);

    error CallerNotFlow(address caller);
    error CallerNotOwner(address caller);

    constructor(uint256 pricePerSector_, address owner_) {
        flow = msg.sender;
        owner = owner_;
        pricePerSector = pricePerSector_;
        emit PricePerSectorUpdated(pricePerSector_);
    }

    function setPricePerSector(uint256 pricePerSector_) external {
        if (msg.sender != owner) revert CallerNotOwner(msg.sender);
        pricePerSector = pricePerSector_;
        emit PricePerSectorUpdated(pricePerSector_);
    }

    /// Called by the Flow for each submission with exactly the fee as value.
    function chargeFee(uint256 beforeLength, uint256 uploadSectors, uint256 paddingSectors_) external payable {
        if (msg.sender != flow) revert CallerNotFlow(msg.sender);
        totalFeeReceived += msg.value;
        chargedSectors += uploadSectors;
        paddingSectors += paddingSectors_;
        emit FeeCharged(beforeLength, uploadSectors, paddingSectors_, msg.value);
    }
}

contract Flow {
    uint256 public constant DEFAULT_PRICE_PER_SECTOR = 30733644962; // turbo: 12 months x 33 x 1e18 / 2^30 / 12
    uint256 public constant BYTES_PER_SECTOR = 256;
    uint256 public constant SECTORS_PER_SEGMENT = 1024;
    uint256 public constant MAX_DEPTH = 64; // node height must be < 64
    uint256 public constant MAX_LENGTH = 4; // first height - last height < 4 (hence at most 4 nodes)

    FixedPrice private immutable _market;
    uint256 private _submissionIndex;
    uint256 private _flowLength; // FlowTree.currentLength, in sectors

    /// Same signature (and topic0) as 0G's Flow: the tuple deliberately omits the submitter.
    event Submit(
        address indexed sender,
        bytes32 indexed identity,
        uint256 submissionIndex,
        uint256 startPos,
        uint256 length,
        SubmissionData submission
    );

    // One error per broken validity rule (the real contract only says InvalidSubmission()).
    error EmptySubmission();
    error TooManyNodes(uint256 count, uint256 max);
    error HeightTooLarge(uint256 height, uint256 maxExclusive);
    error HeightsNotDecreasing(uint256 index, uint256 previousHeight, uint256 height);
    error HeightSpanTooLarge(uint256 firstHeight, uint256 lastHeight);
    error LengthExceedsCapacity(uint256 length, uint256 capacityBytes);
    error LengthBelowMinimum(uint256 length, uint256 minExclusiveBytes);
    error ZeroSubmitter();
    error NotEnoughFee(uint256 price, uint256 amount, uint256 paid); // same selector as 0G's FixedPriceFlow

    /// pricePerSector_ = 0 selects DEFAULT_PRICE_PER_SECTOR; the deployer can change it later through
    /// FixedPrice.setPricePerSector (market() returns the market's address).
    constructor(uint256 pricePerSector_) {
        _market = new FixedPrice(pricePerSector_ == 0 ? DEFAULT_PRICE_PER_SECTOR : pricePerSector_, msg.sender);
        _flowLength = 1; // FlowTreeLib.initialize: sector 0 is reserved
    }

    /*=== views ===*/

    function market() external view returns (address payable) {
        return payable(address(_market));
    }

    function submissionIndex() external view returns (uint256) {
        return _submissionIndex;
    }

    function numSubmissions() external view returns (uint256) {
        return _submissionIndex;
    }

    /// Devnet helper: next free flow position (FlowTree.currentLength), in sectors.
    function flowLength() external view returns (uint256) {
        return _flowLength;
    }

    /*=== submit, current ABI ===*/

    function submit(
        Submission calldata submission
    ) external payable returns (uint256 index, bytes32 digest, uint256 startIndex, uint256 length) {
        if (submission.submitter == address(0)) revert ZeroSubmitter();
        (index, digest, startIndex, length, ) = _submit(submission.data, submission.submitter, msg.value);
    }

    function batchSubmit(
        Submission[] calldata submissions
    )
        external
        payable
        returns (uint256[] memory indexes, bytes32[] memory digests, uint256[] memory startIndexes, uint256[] memory lengths)
    {
        uint256 n = submissions.length;
        indexes = new uint256[](n);
        digests = new bytes32[](n);
        startIndexes = new uint256[](n);
        lengths = new uint256[](n);
        uint256 budget = msg.value;
        for (uint256 i = 0; i < n; ++i) {
            if (submissions[i].submitter == address(0)) revert ZeroSubmitter();
            uint256 fee;
            (indexes[i], digests[i], startIndexes[i], lengths[i], fee) = _submit(
                submissions[i].data,
                submissions[i].submitter,
                budget
            );
            budget -= fee;
        }
    }

    /*=== submit, legacy ABI (before the submitter field; submitter = msg.sender) ===*/

    function submit(
        SubmissionData calldata submission
    ) external payable returns (uint256 index, bytes32 digest, uint256 startIndex, uint256 length) {
        (index, digest, startIndex, length, ) = _submit(submission, msg.sender, msg.value);
    }

    function batchSubmit(
        SubmissionData[] calldata submissions
    )
        external
        payable
        returns (uint256[] memory indexes, bytes32[] memory digests, uint256[] memory startIndexes, uint256[] memory lengths)
    {
        uint256 n = submissions.length;
        indexes = new uint256[](n);
        digests = new bytes32[](n);
        startIndexes = new uint256[](n);
        lengths = new uint256[](n);
        uint256 budget = msg.value;
        for (uint256 i = 0; i < n; ++i) {
            uint256 fee;
            (indexes[i], digests[i], startIndexes[i], lengths[i], fee) = _submit(submissions[i], msg.sender, budget);
            budget -= fee;
        }
    }

    /*=== internals ===*/

    function _submit(
        SubmissionData calldata data,
        address submitter,
        uint256 budget
    ) internal returns (uint256 index, bytes32 digest, uint256 startIndex, uint256 sectors, uint256 fee) {
        sectors = _validate(data);

        uint256 price = _market.pricePerSector();
        fee = sectors * price;
        if (budget < fee) revert NotEnoughFee(price, sectors, budget);

        uint256 previousLength = _flowLength;
        startIndex = _place(data.nodes, sectors);
        // Forward exactly the fee; padding is not charged to the submitter.
        _market.chargeFee{value: fee}(previousLength, _flowLength - startIndex, startIndex - previousLength);

        digest = _digest(data.nodes);
        index = _submissionIndex;
        _submissionIndex = index + 1;

        emit Submit(submitter, digest, index, startIndex, sectors, data);
    }

    /// Submission.valid() (spec §4.3); returns the capacity Σ 2^height in sectors.
    function _validate(SubmissionData calldata data) internal pure returns (uint256 capacity) {
        SubmissionNode[] calldata nodes = data.nodes;
        uint256 n = nodes.length;
        if (n == 0) revert EmptySubmission();
        if (n > MAX_LENGTH) revert TooManyNodes(n, MAX_LENGTH);
        uint256 first = nodes[0].height;
        if (first >= MAX_DEPTH) revert HeightTooLarge(first, MAX_DEPTH);
        for (uint256 i = 1; i < n; ++i) {
            if (nodes[i].height >= nodes[i - 1].height) {
                revert HeightsNotDecreasing(i, nodes[i - 1].height, nodes[i].height);
            }
        }
        uint256 last = nodes[n - 1].height;
        if (first - last >= MAX_LENGTH) revert HeightSpanTooLarge(first, last);

        for (uint256 i = 0; i < n; ++i) {
            capacity += uint256(1) << nodes[i].height;
        }
        if (data.length > capacity * BYTES_PER_SECTOR) {
            revert LengthExceedsCapacity(data.length, capacity * BYTES_PER_SECTOR);
        }
        uint256 lastCapacity;
        if (capacity < (uint256(1) << MAX_LENGTH)) {
            lastCapacity = capacity - 1;
        } else if (n == 1) {
            lastCapacity = capacity - (capacity >> MAX_LENGTH);
        } else {
            lastCapacity = capacity - (uint256(1) << (first - MAX_LENGTH + 1));
        }
        if (data.length <= lastCapacity * BYTES_PER_SECTOR) {
            revert LengthBelowMinimum(data.length, lastCapacity * BYTES_PER_SECTOR);
        }
    }

    /// FlowTreeLib.pad + insertNode for every node (spec §6.4); returns the first node's position.
    function _place(SubmissionNode[] calldata nodes, uint256 sectors) internal returns (uint256 startIndex) {
        uint256 cur = _flowLength;
        uint256 s = _nextAlign(cur, nodes[0].height);
        if (s % SECTORS_PER_SEGMENT != 0 && s / SECTORS_PER_SEGMENT != (s + sectors - 1) / SECTORS_PER_SEGMENT) {
            cur = s + SECTORS_PER_SEGMENT - (s % SECTORS_PER_SEGMENT);
        }
        for (uint256 i = 0; i < nodes.length; ++i) {
            uint256 h = nodes[i].height;
            uint256 pos = _nextAlign(cur, h);
            if (i == 0) startIndex = pos;
            cur = pos + (uint256(1) << h);
        }
        _flowLength = cur;
    }

    function _nextAlign(uint256 length, uint256 alignExp) internal pure returns (uint256) {
        if (length == 0) return 0;
        return (((length - 1) >> alignExp) + 1) << alignExp;
    }

    /// identity = keccak256 of the node roots concatenated (32 bytes each).
    function _digest(SubmissionNode[] calldata nodes) internal pure returns (bytes32) {
        bytes memory packed = new bytes(32 * nodes.length);
        for (uint256 i = 0; i < nodes.length; ++i) {
            bytes32 r = nodes[i].root;
            assembly {
                mstore(add(add(packed, 32), mul(i, 32)), r)
            }
        }
        return keccak256(packed);
    }
}
