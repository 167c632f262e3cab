import Hummingbird
import OrchestratorCore

typealias OrchestratorJSON = JSONText

/// Responses with JSON bodies (RunPod's SDK requires `Content-Type: application/json` on every reply).
enum JSONResponse {
    static func make(status: HTTPResponse.Status = .ok, _ json: String) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: json))
        )
    }
}
