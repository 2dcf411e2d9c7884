"""Dutch texts of the demo: ideas on believable municipal topics, answers, the pilot, the panel."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class IdeaText:
    """What a resident wrote."""

    title: str
    problem: str
    change: str
    area: str


IDEAS = {
    "containers": IdeaText(
        "Ondergrondse containers in het Havenkwartier",
        "In het Havenkwartier staan de vuilniszakken twee dagen per week op straat. Meeuwen "
        "scheuren ze open en het afval waait over de kades.",
        "Plaats ondergrondse containers voor restafval en plastic, zoals in Centrum al is "
        "gebeurd, en stop met het ophalen van losse zakken.",
        "afval",
    ),
    "avondbalie": IdeaText(
        "Avondopenstelling van de balie Burgerzaken",
        "Wie overdag werkt, moet vrij nemen om een paspoort of rijbewijs aan te vragen en op "
        "te halen. Dat kost veel mensen twee halve vrije dagen.",
        "Open de balie Burgerzaken op dinsdag- en donderdagavond tot 20.00 uur, op afspraak.",
        "paspoort",
    ),
    "grofvuil": IdeaText(
        "Gratis grofvuil ophalen, vier keer per jaar",
        "Ophalen van grofvuil kost 25 euro per keer. Daardoor wordt er meer bij de containers "
        "gedumpt, vooral in Noord en West.",
        "Laat elk huishouden vier keer per jaar gratis grofvuil aan huis ophalen.",
        "afval",
    ),
    "mantelzorgpas": IdeaText(
        "Mantelzorgpas met gratis parkeren bij de zorgvrager",
        "Mantelzorgers rijden vaak dagelijks naar hun vader, moeder of buren en betalen "
        "telkens parkeergeld. Dat loopt op tot honderden euro's per jaar.",
        "Geef geregistreerde mantelzorgers een pas waarmee ze gratis parkeren in de straat "
        "van degene voor wie ze zorgen.",
        "mantelzorg",
    ),
    "wmo_wachttijd": IdeaText(
        "Wachttijd voor een Wmo-aanvraag zichtbaar maken",
        "Na een aanvraag voor hulp bij het huishouden of een scootmobiel hoor je soms maanden "
        "niets. Je weet niet of je aanvraag nog loopt.",
        "Laat in Mijn Rivierstad zien waar je aanvraag is en hoe lang het gemiddeld nog duurt.",
        "wmo",
    ),
    "verhuismelding": IdeaText(
        "Verhuizing doorgeven: alles in één keer",
        "Na een verhuizing moet je het nieuwe adres apart doorgeven voor de afvalpas, de "
        "parkeervergunning en de hondenbelasting. Dat gaat vaak mis.",
        "Zorg dat één verhuismelding bij Burgerzaken automatisch doorgaat naar alle "
        "afdelingen van de gemeente.",
        "verhuizen",
    ),
    "tieners": IdeaText(
        "Meer hangplekken en sportveldjes voor tieners",
        "Voor jongeren van 12 tot 18 is er in Oost en Zuid bijna niets te doen. Ze hangen bij "
        "de supermarkt en krijgen dan klachten.",
        "Maak in elke wijk een ontmoetingsplek met een sportveldje, ontworpen samen met jongeren.",
        "jeugd",
    ),
    "bladkorven": IdeaText(
        "Bladkorven in de herfst in elke straat met bomen",
        "In de herfst liggen de stoepen vol nat blad. Ouderen glijden uit en de putten raken "
        "verstopt.",
        "Zet van oktober tot december bladkorven neer in elke straat met bomen en leeg ze "
        "wekelijks.",
        "straatreiniging",
    ),
    "bladkorf_esdoorn": IdeaText(
        "Bladkorf bij de Esdoornlaan",
        "Op de Esdoornlaan ligt elke herfst een dikke laag blad op de stoep.",
        "Zet een bladkorf neer bij de Esdoornlaan.",
        "straatreiniging",
    ),
    "vegen_centrum": IdeaText(
        "Straten in het centrum elke dag vegen",
        "Na het weekend ligt het centrum vol zwerfafval en glas.",
        "Veeg de winkelstraten in het centrum elke dag, ook op zondag.",
        "straatreiniging",
    ),
    "ov_65plus": IdeaText(
        "Gratis busvervoer voor alle 65-plussers",
        "Veel ouderen blijven thuis omdat de bus te duur is.",
        "Maak de bus in Rivierstad gratis voor iedereen vanaf 65 jaar.",
        "wmo",
    ),
    "paspoort_thuis": IdeaText(
        "Paspoort thuis laten bezorgen",
        "Het ophalen van een nieuw paspoort kost een extra bezoek aan het stadhuis.",
        "Bezorg paspoorten en identiteitskaarten thuis, tegen een kleine vergoeding.",
        "paspoort",
    ),
    "geboorteaangifte": IdeaText(
        "Geboorteaangifte online door beide ouders",
        "Alleen de moeder of de erkenner kan nu online aangifte doen; de andere ouder moet "
        "naar het stadhuis, vlak na de bevalling.",
        "Laat beide ouders de geboorteaangifte online doen met DigiD.",
        "geboorte",
    ),
    "mantelzorgcafe": IdeaText(
        "Een mantelzorgcafé in Oost",
        "Mantelzorgers in Oost moeten voor lotgenotencontact naar het centrum reizen.",
        "Start een maandelijks mantelzorgcafé in het buurthuis in Oost.",
        "mantelzorg",
    ),
}

REJECTIONS = {
    "vegen_centrum": (
        "already_planned",
        "Vanaf het voorjaar veegt de gemeente de winkelstraten al dagelijks; dat staat in het "
        "nieuwe reinigingsplan.",
    ),
    "ov_65plus": (
        "outside_remit",
        "Het busvervoer is een taak van de provincie. Wij hebben uw idee aan de provincie "
        "doorgestuurd.",
    ),
}
