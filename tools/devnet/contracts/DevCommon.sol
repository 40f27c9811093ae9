// SPDX-License-Identifier: Apache-2.0
// zerog devnet: small helpers shared by the compute dev contracts.
pragma solidity ^0.8.24;

/// An enumerable set of bytes32 keys (swap-and-pop removal; order is not stable across removals).
library KeySet {
    struct Set {
        bytes32[] items;
        mapping(bytes32 => uint256) pos; // index + 1; 0 = absent
    }

    function add(Set storage s, bytes32 k) internal returns (bool) {
        if (s.pos[k] != 0) return false;
        s.items.push(k);
        s.pos[k] = s.items.length;
        return true;
    }

    function remove(Set storage s, bytes32 k) internal returns (bool) {
        uint256 p = s.pos[k];
        if (p == 0) return false;
        uint256 lastIdx = s.items.length - 1;
        if (p - 1 != lastIdx) {
            bytes32 moved = s.items[lastIdx];
            s.items[p - 1] = moved;
            s.pos[moved] = p;
        }
        s.items.pop();
        delete s.pos[k];
        return true;
    }

    function contains(Set storage s, bytes32 k) internal view returns (bool) {
        return s.pos[k] != 0;
    }

    function length(Set storage s) internal view returns (uint256) {
        return s.items.length;
    }

    function item(Set storage s, uint256 i) internal view returns (bytes32) {
        return s.items[i];
    }
}

/// Minimal single-owner access control (OpenZeppelin-like names and event).
abstract contract DevOwnable {
    address private _owner;

    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);

    error OwnableUnauthorizedAccount(address account);
    error OwnableInvalidOwner(address owner);

    constructor(address owner_) {
        _transferOwnership(owner_);
    }

    modifier onlyOwner() {
        if (msg.sender != _owner) revert OwnableUnauthorizedAccount(msg.sender);
        _;
    }

    function owner() public view returns (address) {
        return _owner;
    }

    function renounceOwnership() external onlyOwner {
        _transferOwnership(address(0));
    }

    function transferOwnership(address newOwner) external onlyOwner {
        if (newOwner == address(0)) revert OwnableInvalidOwner(address(0));
        _transferOwnership(newOwner);
    }

    function _transferOwnership(address newOwner) internal {
        address old = _owner;
        _owner = newOwner;
        emit OwnershipTransferred(old, newOwner);
    }
}

/// The real contracts sit behind proxies and are set up with initialize(...); these dev contracts
/// are initialised by their constructors, so initialized() is always true and initialize reverts.
abstract contract DevInitialized {
    event Initialized(uint8 version);

    error AlreadyInitialized();

    constructor() {
        emit Initialized(1);
    }

    function initialized() external view returns (bool) {
        return address(this) != address(0);
    }
}

function toKey(address a) pure returns (bytes32) {
    return bytes32(uint256(uint160(a)));
}

function toAddr(bytes32 k) pure returns (address) {
    return address(uint160(uint256(k)));
}
