import BanliCore

extension ItemView {
    /// This view with one unit's rows only (its assignment, contacts and feedback) beside the item's own fields.
    ///
    /// A bureau answering several offices may be registered under another site name at each hub; counting each
    /// store's own rows this way lets one computation add up the bureau's whole year.
    public func keepingOnly(site: String) -> ItemView {
        var view = self
        view.assignments = assignments.filter { $0.key == site }
        view.contacts = contacts.filter { $0.key == site }
        view.feedback = feedback.filter { $0.key == site }
        view.conflicts = conflicts.filter { $0.entity.site == nil || $0.entity.site == site }
        return view
    }
}
