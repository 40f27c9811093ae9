// SPDX-License-Identifier: Apache-2.0
// Test contract for the chain client tests (tests/net/test_chain_anvil.cpp): storage, an event with
// indexed and non-indexed fields, a custom error, Error(string) and Panic reverts.
pragma solidity ^0.8.20;

contract Probe {
    error TooSmall(uint256 given, uint256 minimum);

    event Stored(address indexed who, uint256 indexed key, uint256 value, string note);

    mapping(uint256 => uint256) public values;
    uint256 public count;

    function store(uint256 key, uint256 value, string calldata note) external payable {
        if (value < 10) revert TooSmall(value, 10);
        values[key] = value;
        count += 1;
        emit Stored(msg.sender, key, value, note);
    }

    function get(uint256 key) external view returns (uint256) {
        return values[key];
    }

    function refuse(string calldata why) external pure {
        revert(why);
    }

    function divide(uint256 a, uint256 b) external pure returns (uint256) {
        return a / b;
    }
}
