// The example's data: an in-memory list of items shared by every worker. Handlers run on
// several worker threads at once, so the store is behind a Mutex, held only for the few
// microseconds a lookup or insert takes (handlers must not hold locks long).
import Synchronization

/// An item of the to-do list the API serves.
struct Item: Codable, Sendable, Equatable {
    var id: Int
    var name: String
    var done: Bool
}

/// What a client posts to create an item.
struct NewItem: Decodable {
    var name: String
    var done: Bool?
}

/// Items by id, safe to use from every worker.
final class ItemStore: Sendable {
    private let state = Mutex<(nextID: Int, items: [Int: Item])>((1, [:]))

    var all: [Item] { state.withLock { $0.items.values.sorted { $0.id < $1.id } } }

    func item(_ id: Int) -> Item? { state.withLock { $0.items[id] } }

    func add(_ new: NewItem) -> Item {
        state.withLock { state in
            let item = Item(id: state.nextID, name: new.name, done: new.done ?? false)
            state.items[item.id] = item
            state.nextID += 1
            return item
        }
    }

    /// Removes the item; false when there was none.
    func remove(_ id: Int) -> Bool { state.withLock { $0.items.removeValue(forKey: id) != nil } }
}
