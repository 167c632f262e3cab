/// Builds JSON text by hand, so stored JSON (job input and output) is inserted verbatim.
public enum JSONText {
    /// One member value.
    public enum Value: Sendable {
        case string(String)
        case int(Int)
        case bool(Bool)
        /// Already-valid JSON text, inserted as is.
        case raw(String)
        case null
    }

    /// An object with the members in the given order; nil values are left out.
    public static func object(_ members: [(String, Value?)]) -> String {
        var out = "{"
        var first = true
        for (key, value) in members {
            guard let value else { continue }
            if !first { out += "," }
            first = false
            out += quoted(key)
            out += ":"
            out += render(value)
        }
        out += "}"
        return out
    }

    public static func array(_ values: [Value]) -> String {
        "[" + values.map(render).joined(separator: ",") + "]"
    }

    public static func render(_ value: Value) -> String {
        switch value {
        case .string(let text): quoted(text)
        case .int(let number): String(number)
        case .bool(let flag): flag ? "true" : "false"
        case .raw(let json): json
        case .null: "null"
        }
    }

    /// A JSON string literal for `text`.
    public static func quoted(_ text: String) -> String {
        var out = "\""
        out.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
        return out
    }
}
