import Testing
@testable import RewardBits
