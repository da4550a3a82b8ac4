//! Operation ids and OpenAPI links: each creating operation names the operations that take
//! the id it returns, so a client (and the contract test's stateful phase) can chain real ids —
//! an agent into a campaign, a campaign into its lifecycle, contacts and results, an import,
//! an export or a registry extract into its status, a page of leads into a lead.

use serde_json::{Value, json};
use utoipa::Modify;
use utoipa::openapi::RefOr;
use utoipa::openapi::link::Link;

/// Sets a stable `operationId` on every operation and adds the links.
pub struct Links;

/// `post` + `/v1/campaigns/{campaign_id}/launch` -> `postCampaignsCampaignIdLaunch`.
pub fn operation_id(method: &str, path: &str) -> String {
    let words = path
        .trim_start_matches("/v1")
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars.next().map_or(String::new(), |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect::<String>();
    format!("{method}{words}")
}

const CAMPAIGN: &str = "/v1/campaigns/{campaign_id}";

/// An operation a link leads to (method, path) and the parameters it is given.
type Target = (&'static str, String, Value);

/// The links of one response: (method, path, status, targets).
type LinkSet = (&'static str, String, &'static str, Vec<Target>);

/// Every operation on a campaign, given the id a created campaign answers.
fn per_campaign() -> Vec<Target> {
    let campaign_id = json!({"campaign_id": "$response.body#/id"});
    [
        ("get", ""),
        ("put", ""),
        ("delete", ""),
        ("post", "/launch"),
        ("post", "/pause"),
        ("post", "/resume"),
        ("post", "/cancel"),
        ("get", "/progress"),
        ("get", "/quarantine"),
        ("get", "/analytics"),
        ("post", "/imports"),
        ("get", "/imports"),
        ("get", "/leads"),
        ("get", "/preview"),
        ("post", "/dry-run"),
        ("post", "/exports"),
        ("post", "/reconcile"),
        ("get", "/reconcile"),
    ]
    .into_iter()
    .map(|(method, tail)| (method, format!("{CAMPAIGN}{tail}"), campaign_id.clone()))
    .collect()
}

fn links() -> Vec<LinkSet> {
    let same_campaign =
        |extra: (&str, &str)| json!({"campaign_id": "$request.path.campaign_id", extra.0: extra.1});
    let agent_id = json!({"agent_id": "$response.body#/id"});
    vec![
        (
            "post",
            "/v1/agents".into(),
            "201",
            vec![
                ("get", "/v1/agents/{agent_id}".into(), agent_id.clone()),
                ("put", "/v1/agents/{agent_id}".into(), agent_id.clone()),
                ("delete", "/v1/agents/{agent_id}".into(), agent_id),
            ],
        ),
        ("post", "/v1/campaigns".into(), "201", per_campaign()),
        (
            "post",
            format!("{CAMPAIGN}/imports"),
            "201",
            vec![(
                "get",
                format!("{CAMPAIGN}/imports/{{import_id}}"),
                same_campaign(("import_id", "$response.body#/import_id")),
            )],
        ),
        (
            "post",
            format!("{CAMPAIGN}/exports"),
            "202",
            vec![(
                "get",
                format!("{CAMPAIGN}/exports/{{export_id}}"),
                same_campaign(("export_id", "$response.body#/id")),
            )],
        ),
        (
            "post",
            "/v1/registries/{registry}/extracts".into(),
            "201",
            vec![(
                "get",
                "/v1/registries/{registry}/extracts/{extract_id}".into(),
                json!({"registry": "$request.path.registry",
                       "extract_id": "$response.body#/extract/id"}),
            )],
        ),
        (
            "get",
            format!("{CAMPAIGN}/leads"),
            "200",
            vec![
                (
                    "get",
                    format!("{CAMPAIGN}/leads/{{lead_id}}"),
                    same_campaign(("lead_id", "$response.body#/items/0/id")),
                ),
                (
                    "post",
                    format!("{CAMPAIGN}/leads/{{lead_id}}/skip"),
                    same_campaign(("lead_id", "$response.body#/items/0/id")),
                ),
            ],
        ),
    ]
}

fn operation<'a>(
    openapi: &'a mut utoipa::openapi::OpenApi,
    method: &str,
    path: &str,
) -> Option<&'a mut utoipa::openapi::path::Operation> {
    let item = openapi.paths.paths.get_mut(path)?;
    match method {
        "get" => item.get.as_mut(),
        "put" => item.put.as_mut(),
        "post" => item.post.as_mut(),
        "delete" => item.delete.as_mut(),
        _ => None,
    }
}

impl Modify for Links {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let operations = [
                ("get", &mut item.get),
                ("put", &mut item.put),
                ("post", &mut item.post),
                ("delete", &mut item.delete),
            ];
            for (method, op) in operations {
                if let Some(op) = op {
                    op.operation_id = Some(operation_id(method, path));
                }
            }
        }
        for (method, path, status, targets) in links() {
            let mut built = Vec::new();
            for (to_method, to_path, parameters) in targets {
                let link: Link = serde_json::from_value(json!({
                    "operationId": operation_id(to_method, &to_path),
                    "parameters": parameters,
                }))
                .expect("a link is a valid Link");
                built.push((operation_id(to_method, &to_path), link));
            }
            let Some(op) = operation(openapi, method, &path) else {
                continue;
            };
            if let Some(RefOr::T(response)) = op.responses.responses.get_mut(status) {
                for (name, link) in built {
                    response.links.insert(name, RefOr::T(link));
                }
            }
        }
    }
}
