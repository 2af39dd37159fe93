//! The made-up words `verity fill` builds names, companies and addresses from.

pub(super) const FIRST_NAMES: &[&str] = &[
    "Marie",
    "Jean",
    "Pierre",
    "Sophie",
    "Luc",
    "Camille",
    "Julien",
    "Claire",
    "Thomas",
    "Emma",
    "Lucas",
    "Chloe",
    "Hugo",
    "Lea",
    "Louis",
    "Manon",
    "Anna",
    "Paul",
    "Laura",
    "Maxime",
    "Sarah",
    "Nicolas",
    "Julie",
    "Antoine",
    "Oliver",
    "Amelia",
    "George",
    "Isla",
    "Harry",
    "Olivia",
    "Jack",
    "Emily",
    "James",
    "Ava",
    "William",
    "Mia",
    "Lukas",
    "Lena",
    "Felix",
    "Hannah",
    "Jonas",
    "Ida",
    "Leon",
    "Mila",
    "Elias",
    "Clara",
    "Pablo",
    "Lucia",
    "Alejandro",
    "Martina",
    "Daniel",
    "Sofia",
    "Marco",
    "Giulia",
    "Luca",
    "Chiara",
    "Matteo",
    "Aurora",
    "Sem",
    "Tess",
    "Daan",
    "Julia",
    "Tiago",
    "Beatriz",
];

#[rustfmt::skip]
pub(super) const LAST_NAMES: &[&str] = &[
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau", "Simon",
    "Laurent", "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier", "Morel", "Girard",
    "Andre", "Mercier", "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel",
    "Wright", "Walker", "Evans", "Roberts", "Green", "Hall", "Wood", "Mueller", "Schmidt", "Schneider", "Fischer",
    "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann", "Koch", "Richter", "Rodriguez", "Gonzalez", "Fernandez",
    "Lopez", "Martinez", "Sanchez", "Perez", "Gomez", "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano",
    "Colombo", "Ricci", "Marino", "Greco", "DeJong", "Jansen", "DeVries", "VanDijk", "Bakker", "Visser", "Smit",
    "Meijer", "Silva", "Santos", "Ferreira", "Pereira", "Oliveira", "Costa", "Rodrigues", "Almeida", "Nowak",
    "Kowalski", "Wisniewski", "Popescu", "Ionescu", "Kazlauskas", "Jankauskas", "Horvat", "Novak", "Lindqvist",
];

#[rustfmt::skip]
pub(super) const COMPANY_WORDS: &[&str] = &[
    "Northwind", "Bluebird", "Silverline", "Greenfield", "Redstone", "Blackwood", "Brightwater", "Clearview",
    "Eastgate", "Westbrook", "Highland", "Lakeside", "Oakridge", "Pinecrest", "Riverside", "Seaside", "Stonebridge",
    "Sunrise", "Summit", "Windmill", "Goldleaf", "Ironbark", "Maplewood", "Foxglove", "Harbour", "Kestrel", "Lumen",
    "Meridian", "Nimbus", "Orion", "Polaris", "Quartz", "Sequoia", "Tamarind", "Vertex", "Zephyr", "Atlas", "Beacon",
    "Cobalt", "Delta",
];

#[rustfmt::skip]
pub(super) const COMPANY_TRADES: &[&str] = &[
    "Logistics", "Trading", "Consulting", "Software", "Foods", "Textiles", "Robotics", "Energy", "Media", "Studios",
    "Bakery", "Motors", "Pharma", "Capital", "Holdings", "Systems", "Design", "Analytics", "Imports", "Ventures",
    "Labs", "Works", "Garden", "Optics", "Marine", "Freight", "Health", "Travel", "Furniture", "Print",
];

#[rustfmt::skip]
pub(super) const COMPANY_SUFFIXES: &[&str] = &["Ltd", "SAS", "GmbH", "BV", "SRL", "SL", "SpA", "SARL", "Limited", "AG"];

#[rustfmt::skip]
pub(super) const COUNTRIES: &[&str] = &["FR", "DE", "GB", "ES", "IT", "NL", "BE", "PT", "PL", "RO", "LT", "IE"];

#[rustfmt::skip]
pub(super) const CITIES: &[&str] = &[
    "Paris", "Lyon", "Berlin", "Munich", "London", "Manchester", "Madrid", "Barcelona", "Rome", "Milan", "Amsterdam",
    "Rotterdam", "Brussels", "Lisbon", "Porto", "Warsaw", "Bucharest", "Vilnius", "Dublin", "Marseille",
];

#[rustfmt::skip]
pub(super) const STREETS: &[&str] = &[
    "rue de la Paix", "High Street", "Hauptstrasse", "Calle Mayor", "Via Roma", "Kerkstraat", "Rua Augusta",
    "Station Road", "avenue Victor Hugo", "Church Lane", "Bahnhofstrasse", "Gran Via",
];

pub(super) const REFUSALS: &[&str] = &[
    "DOCUMENT_NOT_ACCEPTED",
    "FACE_MATCH_FAIL",
    "DOCUMENT_FALSIFIED",
    "DOCUMENT_UNREADABLE",
    "DOCUMENT_HAS_EXPIRED",
];
